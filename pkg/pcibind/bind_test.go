package pcibind_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
	"github.com/netclaim/netclaim/pkg/pcibind"
	pt "github.com/netclaim/netclaim/pkg/pcibind/pcibindtest"
	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

const (
	treePF     = pt.PF
	treeVF     = pt.IGBVF
	treeVFIOVF = pt.VFIOVF
	vfioPCI    = pcibind.VFIOPCI
)

var (
	onIGBVF = pt.OnIGBVF
	onVFIO  = pt.OnVFIO
)

// igbTree is a host with pcibindtest's igb PF and its VFs, rendered; it returns the
// tree's sysfs folder.
func igbTree(t testing.TB) string {
	h := fakesys.NewHost()
	pt.AddIGB(h)
	return pt.WriteTree(t, h)
}

func TestBinder_BindsToVFIOAndBackWithTheKernelSequence(t *testing.T) {
	k := pt.NewKernel(t, igbTree(t))
	k.Native[treeVF] = "igbvf"
	b := k.Binder()

	if err := b.Bind(treeVF, vfioPCI); err != nil {
		t.Fatalf("Bind: %v", err)
	}
	want := []pt.Write{pt.Override(treeVF, vfioPCI), pt.Unbind("igbvf", treeVF), pt.Probe(treeVF)}
	if diff := cmp.Diff(want, k.TakeWrites()); diff != "" {
		t.Errorf("writes of Bind (-want +got):\n%s", diff)
	}
	pt.RequireBinding(t, b, treeVF, onVFIO)

	if err := b.Restore(treeVF, onIGBVF); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	want = []pt.Write{pt.Override(treeVF, "\n"), pt.Unbind(vfioPCI, treeVF), pt.Bind("igbvf", treeVF)}
	if diff := cmp.Diff(want, k.TakeWrites()); diff != "" {
		t.Errorf("writes of Restore (-want +got):\n%s", diff)
	}
	pt.RequireBinding(t, b, treeVF, onIGBVF)
}

// The states a crash can leave a device in, each reached by the first n writes of the
// sequence; calling the same function again must do exactly the rest.
func TestBinder_ConvergesFromEveryIntermediateState(t *testing.T) {
	forward := []pt.Write{pt.Override(treeVF, vfioPCI), pt.Unbind("igbvf", treeVF), pt.Probe(treeVF)}
	back := []pt.Write{pt.Override(treeVF, "\n"), pt.Unbind(vfioPCI, treeVF), pt.Bind("igbvf", treeVF)}
	bind := func(b *pcibind.Binder) error { return b.Bind(treeVF, vfioPCI) }
	restore := func(b *pcibind.Binder) error { return b.Restore(treeVF, onIGBVF) }
	for _, tc := range []struct {
		name  string
		setup []pt.Write
		run   func(*pcibind.Binder) error
		want  []pt.Write
		final plan.Binding
	}{
		{"bind from the start", nil, bind, forward, onVFIO},
		{"bind after the override", forward[:1], bind, forward[1:], onVFIO},
		{"bind after the unbind", forward[:2], bind, forward[2:], onVFIO},
		{"bind when already bound", forward, bind, nil, onVFIO},
		{"restore from vfio-pci", forward, restore, back, onIGBVF},
		{"restore after clearing the override", append(forward[:3:3], back[:1]...), restore, back[1:], onIGBVF},
		{"restore after the unbind", append(forward[:3:3], back[:2]...), restore, back[2:], onIGBVF},
		{"restore when already back", append(forward[:3:3], back...), restore, nil, onIGBVF},
		{"restore of a crash before the first write", nil, restore, nil, onIGBVF},
		{"restore to unbound", forward, func(b *pcibind.Binder) error { return b.Restore(treeVF, plan.Binding{}) },
			[]pt.Write{pt.Override(treeVF, "\n"), pt.Unbind(vfioPCI, treeVF)}, plan.Binding{}},
		{"restore of an override the device had", forward, func(b *pcibind.Binder) error {
			return b.Restore(treeVF, plan.Binding{Driver: "igbvf", DriverOverride: "igbvf"})
		}, []pt.Write{pt.Override(treeVF, "igbvf"), pt.Unbind(vfioPCI, treeVF), pt.Bind("igbvf", treeVF)}, plan.Binding{Driver: "igbvf", DriverOverride: "igbvf"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := pt.NewKernel(t, igbTree(t))
			k.Native[treeVF] = "igbvf"
			for _, w := range tc.setup {
				if err := k.Write(filepath.Join(k.Sysfs, w.Path), w.Value); err != nil {
					t.Fatalf("arranging %v: %v", w, err)
				}
			}
			k.TakeWrites()
			b := k.Binder()

			if err := tc.run(b); err != nil {
				t.Fatalf("run: %v", err)
			}
			if diff := cmp.Diff(tc.want, k.TakeWrites()); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			pt.RequireBinding(t, b, treeVF, tc.final)
		})
	}
}

func TestBinder_VerifiesTheDriverLink(t *testing.T) {
	t.Run("a plain tree does not react: the VF stays on igbvf", func(t *testing.T) {
		sysfs := igbTree(t)
		var writes []pt.Write
		b := pcibind.NewWithWriter(sysfs, func(p, v string) error {
			rel, _ := filepath.Rel(sysfs, p)
			writes = append(writes, pt.Write{Path: rel, Value: v})
			return pcibind.WriteAttribute(p, v)
		}, 0)
		err := b.Bind(treeVF, vfioPCI)
		netnstest.RequireErrorContains(t, err, "vfio-pci did not take PCI device "+treeVF, "it has igbvf", "dmesg")
		want := []pt.Write{pt.Override(treeVF, vfioPCI), pt.Unbind("igbvf", treeVF), pt.Probe(treeVF)}
		if diff := cmp.Diff(want, writes); diff != "" {
			t.Errorf("writes (-want +got):\n%s", diff)
		}
		got, err := os.ReadFile(filepath.Join(sysfs, "bus/pci/drivers_probe"))
		if err != nil || string(got) != treeVF {
			t.Errorf("drivers_probe holds %q (%v), want %s", got, err, treeVF)
		}
	})
	t.Run("vfio-pci's probe fails: the VF is left without a driver", func(t *testing.T) {
		k := pt.NewKernel(t, igbTree(t))
		k.Refuse[vfioPCI] = true
		err := k.Binder().Bind(treeVF, vfioPCI)
		netnstest.RequireErrorContains(t, err, "vfio-pci did not take PCI device "+treeVF, "it has no driver")
	})
	t.Run("the original driver refuses the VF back", func(t *testing.T) {
		k := pt.NewKernel(t, igbTree(t))
		b := k.Binder()
		if err := b.Bind(treeVF, vfioPCI); err != nil {
			t.Fatal(err)
		}
		k.Refuse["igbvf"] = true
		err := b.Restore(treeVF, onIGBVF)
		netnstest.RequireErrorContains(t, err, "binding "+treeVF+" back to igbvf", "invalid argument")
	})
}

func TestBinder_RefusesToWriteASyntheticHost(t *testing.T) {
	sysfs := igbTree(t)
	before := treeFiles(t, sysfs)
	b := pcibind.New(filepath.Dir(sysfs))
	for name, err := range map[string]error{
		"Bind":           b.Bind(treeVF, vfioPCI),
		"Restore":        b.Restore(treeVF, onIGBVF),
		"CheckVFIOReady": b.CheckVFIOReady(treeVF, true),
	} {
		if !errors.Is(err, pcibind.ErrNotLive) {
			t.Errorf("%s: err = %v, want %v", name, err, pcibind.ErrNotLive)
		}
	}
	if diff := cmp.Diff(before, treeFiles(t, sysfs)); diff != "" {
		t.Errorf("a binder over a synthetic host wrote its tree (-before +after):\n%s", diff)
	}
	if !strings.Contains(pcibind.ErrNotLive.Error(), "driver rebinding needs the live sysfs") {
		t.Errorf("ErrNotLive = %q", pcibind.ErrNotLive)
	}
}

func TestBinder_RestoreOfADeviceThatIsGone(t *testing.T) {
	k := pt.NewKernel(t, igbTree(t))
	b := k.Binder()
	if err := os.Remove(filepath.Join(k.Sysfs, "bus/pci/devices", treeVF)); err != nil {
		t.Fatal(err)
	}
	if !b.Gone(treeVF) || b.Gone(treeVFIOVF) {
		t.Errorf("Gone(%s) = %v, Gone(%s) = %v; want true, false", treeVF, b.Gone(treeVF), treeVFIOVF, b.Gone(treeVFIOVF))
	}
	if err := b.Restore(treeVF, onIGBVF); !errors.Is(err, pcibind.ErrDeviceGone) {
		t.Errorf("Restore: err = %v, want %v", err, pcibind.ErrDeviceGone)
	}
	if w := k.TakeWrites(); len(w) != 0 {
		t.Errorf("writes for a device that is gone: %v", w)
	}
}

// treeFiles maps every regular file of the tree to its content, for comparing a tree
// before and after.
func treeFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		files[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
