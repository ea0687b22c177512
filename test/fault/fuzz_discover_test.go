package fault

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
)

// Mutations FuzzDiscover applies to the chosen entry of the tree.
const (
	mutateOverwrite = iota // replace the content (a symlink becomes a file holding it)
	mutateRemove           // the entry disappears, as a hot-unplugged device's files do
	mutateAppend           // keep the content and add the bytes after it
	mutateCount
)

// smallPCIIDs names the example host's vendors only: parsing the machine's full pci.ids
// on every iteration would cost ~40 ms and starve the fuzzer.
const smallPCIIDs = "14e4  Broadcom Inc. and subsidiaries\n15b3  Mellanox Technologies\n8086  Intel Corporation\n"

// mutableTree is a synthetic host written once per fuzz worker; each iteration mutates
// one entry of its sys/ or proc/ part and puts it back afterwards.
type mutableTree struct {
	root    string
	entries []string // relative paths of regular files and symlinks, sorted
}

func newMutableTree(t testing.TB) *mutableTree {
	root := t.TempDir()
	if err := fakesys.Example().Write(root); err != nil {
		t.Fatalf("writing the example host: %v", err)
	}
	ids := filepath.Join(root, "usr/share/hwdata/pci.ids")
	if err := os.MkdirAll(filepath.Dir(ids), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ids, []byte(smallPCIIDs), 0o644); err != nil {
		t.Fatal(err)
	}
	tree := &mutableTree{root: root}
	for _, top := range []string{"sys", "proc"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(root, path)
			tree.entries = append(tree.entries, rel)
			return err
		})
		if err != nil {
			t.Fatalf("listing the example host: %v", err)
		}
	}
	slices.Sort(tree.entries)
	return tree
}

// mutate applies op with data to entry index%len and returns how to undo it.
func (m *mutableTree) mutate(index uint16, op uint8, data []byte) (undo func() error, err error) {
	path := filepath.Join(m.root, m.entries[int(index)%len(m.entries)])
	info, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	var restore func() error
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(path)
		if err != nil {
			return nil, err
		}
		restore = func() error { return errors.Join(os.RemoveAll(path), os.Symlink(target, path)) }
	} else {
		orig, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		restore = func() error { return errors.Join(os.RemoveAll(path), os.WriteFile(path, orig, info.Mode().Perm())) }
	}
	switch op % mutateCount {
	case mutateOverwrite:
		err = errors.Join(os.Remove(path), os.WriteFile(path, data, 0o644))
	case mutateRemove:
		err = os.Remove(path)
	case mutateAppend:
		var f *os.File
		if f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0); err == nil {
			_, err = f.Write(data)
			err = errors.Join(err, f.Close())
		}
	}
	return restore, err
}

// FuzzDiscover feeds discovery a synthetic host with one sysfs or procfs entry
// overwritten, removed or extended by fuzz bytes. Errors are fine (they must name what is
// wrong); panics are not.
func FuzzDiscover(f *testing.F) {
	tree := newMutableTree(f)
	for i := range tree.entries {
		// Every entry at least once, overwritten with something plausible but wrong.
		f.Add(uint16(i), uint8(mutateOverwrite), []byte("-1\n"))
	}
	f.Add(uint16(0), uint8(mutateRemove), []byte(nil))
	f.Add(uint16(1), uint8(mutateAppend), []byte("\x00\xff 99999999999999999999\n"))
	f.Fuzz(func(t *testing.T, index uint16, op uint8, data []byte) {
		undo, err := tree.mutate(index, op, data)
		if err != nil {
			t.Skipf("cannot apply the mutation: %v", err)
		}
		defer func() {
			if err := undo(); err != nil {
				t.Fatalf("restoring the tree: %v", err)
			}
		}()
		devices, err := inventory.Discover(context.Background(), inventory.Options{HostRoot: tree.root})
		if err != nil && len(devices) != 0 {
			t.Errorf("Discover returned %d devices together with error %v", len(devices), err)
		}
	})
}
