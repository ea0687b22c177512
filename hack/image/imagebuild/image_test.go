package imagebuild

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// member is what a test expects of one file in the image's filesystem.
type member struct {
	Type    byte
	Mode    int64
	Link    string
	Content string
	ModTime time.Time
	UID     int
	GID     int
}

func writeHostFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode is filtered by the umask; tests need the exact bits.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// readMembers flattens the image's layers the way a runtime would and reads every member,
// keyed by clean relative path (Extract drops a directory's trailing slash).
func readMembers(t *testing.T, img v1.Image) map[string]member {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	got := map[string]member{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			t.Fatalf("reading the image filesystem: %v", err)
		}
		content, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading %s: %v", hdr.Name, err)
		}
		got[hdr.Name] = member{
			Type: hdr.Typeflag, Mode: hdr.Mode, Link: hdr.Linkname, Content: string(content),
			ModTime: hdr.ModTime.UTC(), UID: hdr.Uid, GID: hdr.Gid,
		}
	}
}

func TestBuild_DockerArchiveReadsBackWithConfigAndFiles(t *testing.T) {
	src := t.TempDir()
	writeHostFile(t, filepath.Join(src, "plugin"), "#!plugin binary", 0o700)
	writeHostFile(t, filepath.Join(src, "share", "pci.ids"), "8086 Intel\n", 0o644)
	writeHostFile(t, filepath.Join(src, "share", "sub", "more"), "x", 0o600)
	if err := os.Symlink("pci.ids", filepath.Join(src, "share", "ids")); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

	img, err := Build(Spec{
		Files:      []File{{Source: filepath.Join(src, "plugin"), Target: "/usr/bin/netclaim-plugin", Mode: 0o755}},
		Dirs:       []Dir{{Source: filepath.Join(src, "share"), Target: "/usr/share/hwdata"}},
		Symlinks:   []Symlink{{Path: "/netclaim-plugin", Target: "usr/bin/netclaim-plugin"}},
		Entrypoint: []string{"/netclaim-plugin"},
		Cmd:        []string{"-v=2"},
		Labels:     map[string]string{"org.opencontainers.image.source": "https://github.com/netclaim/netclaim"},
		Created:    created,
	})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	archive := filepath.Join(t.TempDir(), "image.tar")
	if err := WriteDockerArchive(archive, img, "ghcr.io/netclaim/netclaim:v0.1.0", "ghcr.io/netclaim/netclaim:test"); err != nil {
		t.Fatalf("WriteDockerArchive: %v", err)
	}

	for _, ref := range []string{"ghcr.io/netclaim/netclaim:v0.1.0", "ghcr.io/netclaim/netclaim:test"} {
		tag, err := name.NewTag(ref)
		if err != nil {
			t.Fatal(err)
		}
		back, err := tarball.ImageFromPath(archive, &tag)
		if err != nil {
			t.Fatalf("reading %s back from %s: %v", ref, archive, err)
		}
		wantDigest, _ := img.Digest()
		if gotDigest, err := back.Digest(); err != nil || gotDigest != wantDigest {
			t.Errorf("%s: digest read back %v (err %v), built %v", ref, gotDigest, err, wantDigest)
		}
		cfg, err := back.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		wantCfg := v1.Config{
			Entrypoint: []string{"/netclaim-plugin"},
			Cmd:        []string{"-v=2"},
			Env:        []string{DefaultPath},
			User:       "0",
			WorkingDir: "/",
			Labels:     map[string]string{"org.opencontainers.image.source": "https://github.com/netclaim/netclaim"},
		}
		if diff := cmp.Diff(wantCfg, cfg.Config); diff != "" {
			t.Errorf("%s: config (-want +got):\n%s", ref, diff)
		}
		if cfg.OS != "linux" || cfg.Architecture != "amd64" || !cfg.Created.Time.Equal(created) {
			t.Errorf("%s: os/arch/created = %s/%s/%v, want linux/amd64/%v", ref, cfg.OS, cfg.Architecture, cfg.Created.Time, created)
		}
		layers, err := back.Layers()
		if err != nil || len(layers) != 1 || len(cfg.RootFS.DiffIDs) != 1 || len(cfg.History) != 1 {
			t.Errorf("%s: %d layers (err %v), %d diff IDs, %d history entries; want one each", ref, len(layers), err, len(cfg.RootFS.DiffIDs), len(cfg.History))
		}
	}

	tag, _ := name.NewTag("ghcr.io/netclaim/netclaim:v0.1.0")
	back, err := tarball.ImageFromPath(archive, &tag)
	if err != nil {
		t.Fatal(err)
	}
	dir := func(mode int64) member { return member{Type: tar.TypeDir, Mode: mode, ModTime: created} }
	want := map[string]member{
		"usr":                       dir(0o755),
		"usr/bin":                   dir(0o755),
		"usr/bin/netclaim-plugin":   {Type: tar.TypeReg, Mode: 0o755, Content: "#!plugin binary", ModTime: created},
		"usr/share":                 dir(0o755),
		"usr/share/hwdata":          dir(0o755),
		"usr/share/hwdata/pci.ids":  {Type: tar.TypeReg, Mode: 0o644, Content: "8086 Intel\n", ModTime: created},
		"usr/share/hwdata/ids":      {Type: tar.TypeSymlink, Mode: 0o777, Link: "pci.ids", ModTime: created},
		"usr/share/hwdata/sub":      dir(0o755),
		"usr/share/hwdata/sub/more": {Type: tar.TypeReg, Mode: 0o600, Content: "x", ModTime: created},
		"netclaim-plugin":           {Type: tar.TypeSymlink, Mode: 0o777, Link: "usr/bin/netclaim-plugin", ModTime: created},
	}
	if diff := cmp.Diff(want, readMembers(t, back)); diff != "" {
		t.Errorf("image filesystem (-want +got):\n%s", diff)
	}
}

func TestBuild_SameInputsGiveSameDigest(t *testing.T) {
	src := t.TempDir()
	writeHostFile(t, filepath.Join(src, "bin"), "binary", 0o755)
	spec := Spec{
		Files:      []File{{Source: filepath.Join(src, "bin"), Target: "/bin/tool"}},
		Symlinks:   []Symlink{{Path: "/bin/sh", Target: "tool"}, {Path: "/bin/ls", Target: "tool"}},
		Entrypoint: []string{"/bin/tool"},
	}
	first, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	// A later mtime on the source and another order of symlinks must not matter.
	if err := os.Chtimes(filepath.Join(src, "bin"), time.Now(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	spec.Symlinks[0], spec.Symlinks[1] = spec.Symlinks[1], spec.Symlinks[0]
	second, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := first.Digest()
	d2, _ := second.Digest()
	if d1 != d2 {
		t.Errorf("digests differ for the same inputs: %v vs %v", d1, d2)
	}

	// Different content must change it, or the test above proves nothing.
	writeHostFile(t, filepath.Join(src, "bin"), "binarY", 0o755)
	third, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	if d3, _ := third.Digest(); d3 == d1 {
		t.Errorf("digest %v did not change when a file's content changed", d3)
	}
	if cfg, _ := first.ConfigFile(); !cfg.Created.Time.Equal(time.Unix(0, 0)) {
		t.Errorf("default creation time = %v, want the Unix epoch", cfg.Created.Time)
	}
}

func TestWriteOCILayout_ImageReadableByDigest(t *testing.T) {
	src := t.TempDir()
	writeHostFile(t, filepath.Join(src, "pause"), "pause", 0o755)
	img, err := Build(Spec{Files: []File{{Source: filepath.Join(src, "pause"), Target: "/pause"}}, Entrypoint: []string{"/pause"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "oci")
	if err := WriteOCILayout(dir, img, "registry.k8s.io/pause:3.10"); err != nil {
		t.Fatalf("WriteOCILayout: %v", err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	index, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	if len(manifest.Manifests) != 1 || manifest.Manifests[0].Digest != want ||
		manifest.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "registry.k8s.io/pause:3.10" {
		t.Fatalf("layout index = %+v, want one manifest %v named registry.k8s.io/pause:3.10", manifest.Manifests, want)
	}
	back, err := p.Image(want)
	if err != nil {
		t.Fatalf("reading the image back from the layout: %v", err)
	}
	if got := readMembers(t, back)["pause"]; got.Content != "pause" || got.Mode != 0o755 {
		t.Errorf("/pause in the layout image = %+v, want content %q mode 0755", got, "pause")
	}
}

func TestBuild_RejectsConflictingOrBadPaths(t *testing.T) {
	src := t.TempDir()
	writeHostFile(t, filepath.Join(src, "f"), "f", 0o644)
	file := filepath.Join(src, "f")
	tests := []struct {
		name    string
		spec    Spec
		wantErr string
	}{
		{"same path twice", Spec{Files: []File{{Source: file, Target: "/a"}, {Source: file, Target: "/a"}}}, "/a is given twice"},
		{"file below a file", Spec{Files: []File{{Source: file, Target: "/a"}, {Source: file, Target: "/a/b"}}}, "needs /a to be a directory"},
		{"relative target", Spec{Files: []File{{Source: file, Target: "a"}}}, "must be absolute"},
		{"image root", Spec{Dirs: []Dir{{Source: src, Target: "/"}}}, "image root"},
		{"missing source", Spec{Files: []File{{Source: filepath.Join(src, "nope"), Target: "/a"}}}, "no such file"},
		{"directory given as a file", Spec{Files: []File{{Source: src, Target: "/a"}}}, "not a regular file"},
		{"empty symlink target", Spec{Symlinks: []Symlink{{Path: "/a"}}}, "empty target"},
		{"nothing at all", Spec{}, "would be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Build error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestWriteDockerArchive_RejectsBadTagsBeforeWriting(t *testing.T) {
	src := t.TempDir()
	writeHostFile(t, filepath.Join(src, "f"), "f", 0o644)
	img, err := Build(Spec{Files: []File{{Source: filepath.Join(src, "f"), Target: "/f"}}})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "image.tar")
	for _, tags := range [][]string{nil, {"ghcr.io/netclaim/netclaim"}, {"Not A Ref:x"}} {
		if err := WriteDockerArchive(out, img, tags...); err == nil {
			t.Errorf("WriteDockerArchive(tags %q) succeeded, want an error", tags)
		}
		entries, _ := os.ReadDir(filepath.Dir(out))
		if len(entries) != 0 {
			t.Errorf("tags %q: files left behind: %v", tags, entries)
		}
	}
}
