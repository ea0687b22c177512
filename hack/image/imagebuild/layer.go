package imagebuild

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// entry is one tar member of the layer, keyed by its clean absolute path in the image.
type entry struct {
	path     string // absolute, clean, e.g. /bin/busybox
	typeflag byte
	mode     int64
	linkname string
	source   string // regular files: where the content comes from
	size     int64
}

// layerTree collects the layer's members so they can be written in a fixed order with fixed
// metadata: the same inputs must give byte-identical tars, or the image digest changes
// from build to build.
type layerTree struct {
	entries map[string]entry
}

func newLayerTree() *layerTree {
	return &layerTree{entries: map[string]entry{}}
}

// imagePath turns a user-given destination into the clean absolute path in the image.
func imagePath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("path %q in the image must be absolute", p)
	}
	clean := path.Clean(p)
	if clean == "/" {
		return "", fmt.Errorf("path %q names the image root, which cannot be replaced", p)
	}
	return clean, nil
}

// add records e and creates its missing parent directories (0755, as a base image
// would have them).
func (t *layerTree) add(e entry) error {
	if old, ok := t.entries[e.path]; ok {
		if old.typeflag == tar.TypeDir && e.typeflag == tar.TypeDir {
			return nil
		}
		return fmt.Errorf("%s is given twice in the image", e.path)
	}
	for dir := path.Dir(e.path); dir != "/"; dir = path.Dir(dir) {
		if parent, ok := t.entries[dir]; ok {
			if parent.typeflag != tar.TypeDir {
				return fmt.Errorf("%s needs %s to be a directory, but it is already a file or symlink", e.path, dir)
			}
			continue
		}
		t.entries[dir] = entry{path: dir, typeflag: tar.TypeDir, mode: 0o755}
	}
	t.entries[e.path] = e
	return nil
}

// addFile copies one regular file; mode 0 keeps the source file's permission bits.
func (t *layerTree) addFile(f File) error {
	dst, err := imagePath(f.Target)
	if err != nil {
		return err
	}
	info, err := os.Stat(f.Source)
	if err != nil {
		return fmt.Errorf("file for %s: %w", dst, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("file for %s: %s is not a regular file", dst, f.Source)
	}
	mode := f.Mode
	if mode == 0 {
		mode = info.Mode().Perm()
	}
	return t.add(entry{path: dst, typeflag: tar.TypeReg, mode: int64(mode), source: f.Source, size: info.Size()})
}

// addDir copies a directory tree: directories, regular files (permissions kept) and
// symlinks (link text kept as is, so a relative link stays relative inside the image).
func (t *layerTree) addDir(d Dir) error {
	root, err := imagePath(d.Target)
	if err != nil {
		return err
	}
	return filepath.WalkDir(d.Source, func(src string, de fs.DirEntry, walkErr error) error {
		if walkErr != nil {
			return fmt.Errorf("directory for %s: %w", root, walkErr)
		}
		rel, err := filepath.Rel(d.Source, src)
		if err != nil {
			return err
		}
		dst := path.Join(root, filepath.ToSlash(rel))
		info, err := de.Info()
		if err != nil {
			return fmt.Errorf("directory for %s: %w", root, err)
		}
		switch {
		case info.IsDir():
			return t.add(entry{path: dst, typeflag: tar.TypeDir, mode: int64(info.Mode().Perm())})
		case info.Mode().IsRegular():
			return t.add(entry{path: dst, typeflag: tar.TypeReg, mode: int64(info.Mode().Perm()), source: src, size: info.Size()})
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(src)
			if err != nil {
				return fmt.Errorf("directory for %s: %w", root, err)
			}
			return t.add(entry{path: dst, typeflag: tar.TypeSymlink, mode: 0o777, linkname: link})
		default:
			return fmt.Errorf("directory for %s: %s is neither a file, a directory nor a symlink", root, src)
		}
	})
}

func (t *layerTree) addSymlink(s Symlink) error {
	dst, err := imagePath(s.Path)
	if err != nil {
		return err
	}
	if s.Target == "" {
		return fmt.Errorf("symlink %s has an empty target", dst)
	}
	return t.add(entry{path: dst, typeflag: tar.TypeSymlink, mode: 0o777, linkname: s.Target})
}

// tar writes the layer: members sorted by path (parents before children), owned by
// root, every timestamp set to mtime.
func (t *layerTree) tar(mtime time.Time) ([]byte, error) {
	paths := make([]string, 0, len(t.entries))
	for p := range t.entries {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		if err := writeEntry(tw, t.entries[p], mtime); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("finishing the layer tar: %w", err)
	}
	return buf.Bytes(), nil
}

func writeEntry(tw *tar.Writer, e entry, mtime time.Time) error {
	name := strings.TrimPrefix(e.path, "/")
	if e.typeflag == tar.TypeDir {
		name += "/"
	}
	hdr := &tar.Header{
		Typeflag: e.typeflag,
		Name:     name,
		Linkname: e.linkname,
		Mode:     e.mode,
		Size:     e.size,
		ModTime:  mtime,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("layer member %s: %w", e.path, err)
	}
	if e.typeflag != tar.TypeReg {
		return nil
	}
	return copyFile(tw, e)
}

// copyFile streams the source into the tar and insists on the size recorded when it was
// added: a file that changed in between would make a corrupt or non-reproducible layer.
func copyFile(w io.Writer, e entry) (err error) {
	f, err := os.Open(e.source)
	if err != nil {
		return fmt.Errorf("layer member %s: %w", e.path, err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	n, err := io.Copy(w, f)
	if err != nil {
		return fmt.Errorf("layer member %s from %s: %w", e.path, e.source, err)
	}
	if n != e.size {
		return fmt.Errorf("layer member %s: %s changed size while the image was built (%d, now %d bytes)", e.path, e.source, e.size, n)
	}
	return nil
}
