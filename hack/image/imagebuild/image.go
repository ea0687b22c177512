// Package imagebuild makes single-layer container images on an empty (scratch) base
// without Docker, a registry or root: the layer is written from files on disk, and the
// result is a docker-archive tarball that `ctr images import` and `docker load` accept, or
// an OCI image layout.
//
// Builds are reproducible: members are sorted, owned by root and stamped with one fixed
// time, so the same inputs give the same image digest.
package imagebuild

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// DefaultPath is the PATH of a scratch image whose binaries live in the usual places.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// File copies one regular file from the build host into the image.
type File struct {
	Source string      // path on the build host
	Target string      // absolute path in the image
	Mode   fs.FileMode // permission bits in the image; 0 keeps the source's
}

// Dir copies a directory tree from the build host into the image.
type Dir struct {
	Source string
	Target string
}

// Symlink creates Path in the image pointing at Target (kept verbatim).
type Symlink struct {
	Path   string
	Target string
}

// Spec describes the image. Zero values get the defaults named on each field.
type Spec struct {
	Files    []File
	Dirs     []Dir
	Symlinks []Symlink

	Entrypoint []string
	Cmd        []string
	Env        []string          // nil: [DefaultPath]
	User       string            // "": "0" (root; the plugin needs it for netlink and sysfs)
	WorkingDir string            // "": "/"
	Labels     map[string]string // image config labels

	OS           string    // "": linux
	Architecture string    // "": amd64
	Created      time.Time // stamped on the config, the history and every layer member; zero: the Unix epoch
}

// Build assembles the image. Nothing is written; the layer is held in memory.
func Build(spec Spec) (v1.Image, error) {
	spec = withDefaults(spec)
	layerTar, err := buildLayerTar(spec)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithCompressedCaching) // else the layer is gzipped once for its digest and again when written
	if err != nil {
		return nil, fmt.Errorf("compressing the image layer: %w", err)
	}
	created := v1.Time{Time: spec.Created}
	base, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Architecture: spec.Architecture,
		OS:           spec.OS,
		Created:      created,
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Entrypoint: spec.Entrypoint,
			Cmd:        spec.Cmd,
			Env:        spec.Env,
			User:       spec.User,
			WorkingDir: spec.WorkingDir,
			Labels:     spec.Labels,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("setting the image config: %w", err)
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: created, CreatedBy: "netclaim hack/image", Comment: "single layer on scratch"},
	})
	if err != nil {
		return nil, fmt.Errorf("adding the layer to the image: %w", err)
	}
	return img, nil
}

func withDefaults(spec Spec) Spec {
	if spec.Env == nil {
		spec.Env = []string{DefaultPath}
	}
	if spec.User == "" {
		spec.User = "0"
	}
	if spec.WorkingDir == "" {
		spec.WorkingDir = "/"
	}
	if spec.OS == "" {
		spec.OS = "linux"
	}
	if spec.Architecture == "" {
		spec.Architecture = "amd64"
	}
	if spec.Created.IsZero() {
		spec.Created = time.Unix(0, 0)
	}
	spec.Created = spec.Created.UTC()
	return spec
}

func buildLayerTar(spec Spec) ([]byte, error) {
	tree := newLayerTree()
	for _, f := range spec.Files {
		if err := tree.addFile(f); err != nil {
			return nil, err
		}
	}
	for _, d := range spec.Dirs {
		if err := tree.addDir(d); err != nil {
			return nil, err
		}
	}
	for _, s := range spec.Symlinks {
		if err := tree.addSymlink(s); err != nil {
			return nil, err
		}
	}
	if len(tree.entries) == 0 {
		return nil, fmt.Errorf("the image would be empty: give at least one file, directory or symlink")
	}
	return tree.tar(spec.Created)
}
