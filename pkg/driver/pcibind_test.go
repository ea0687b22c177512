package driver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
	"github.com/netclaim/netclaim/pkg/plan"
)

// Addresses of rebindHost's functions.
const (
	treePF     = "0000:3b:00.0"
	treeVF     = "0000:3b:02.0" // igbvf, netdev ens1f0v0
	treeVFIOVF = "0000:3b:02.1" // vfio-pci already
	treeRDMAVF = "0000:5e:02.0" // mlx5_core with RDMA device mlx5_2
	treeNIC    = "0000:af:00.0" // e1000e, no SR-IOV
)

// rebindHost is an Intel 82576 PF with a VF on igbvf and one on vfio-pci, and a Mellanox PF
// with an RDMA-capable VF, and a plain NIC; vfio-pci is loaded. Every function has an IOMMU group of its own.
func rebindHost() *fakesys.Host {
	h := fakesys.NewHost()
	h.Drivers = []string{vfioPCI}
	h.AddPF(fakesys.PF{
		NIC: fakesys.NIC{PCIAddress: treePF, PCIeRoot: "pci0000:3a", Vendor: "8086", Device: "10c9", Driver: "igb",
			Netdev: fakesys.Netdev{IfName: "ens1f0", SpeedMbps: 1000}},
		TotalVFs: 7, VFDevice: "10ca",
		VFs: []fakesys.VF{
			{PCIAddress: treeVF, Driver: "igbvf", Netdev: fakesys.Netdev{IfName: "ens1f0v0"}},
			{PCIAddress: treeVFIOVF, Driver: vfioPCI},
		},
	})
	h.AddPF(fakesys.PF{
		NIC: fakesys.NIC{PCIAddress: "0000:5e:00.0", PCIeRoot: "pci0000:5d", Vendor: "15b3", Device: "1017", Driver: "mlx5_core",
			RDMADevices: []string{"mlx5_0"}, Netdev: fakesys.Netdev{IfName: "ens2f0", SpeedMbps: 25000}},
		TotalVFs: 4, VFDevice: "1018",
		VFs: []fakesys.VF{{PCIAddress: treeRDMAVF, Driver: "mlx5_core", RDMADevices: []string{"mlx5_2"},
			Netdev: fakesys.Netdev{IfName: "ens2f0v0", SpeedMbps: 25000}}},
	})
	h.AddNIC(fakesys.NIC{PCIAddress: treeNIC, PCIeRoot: "pci0000:ae", Vendor: "8086", Device: "10d3", Driver: "e1000e",
		Netdev: fakesys.Netdev{IfName: "ens3"}})
	return h
}

// writeTree renders h and returns its sysfs folder.
func writeTree(t testing.TB, h *fakesys.Host) string {
	t.Helper()
	root := t.TempDir()
	if err := h.Write(root); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "sys")
}

// Writes of the binding sequences, as paths relative to sysfs.
func overrideW(addr, v string) sysfsWrite {
	return sysfsWrite{"bus/pci/devices/" + addr + "/driver_override", v}
}
func unbindW(drv, addr string) sysfsWrite {
	return sysfsWrite{"bus/pci/drivers/" + drv + "/unbind", addr}
}
func bindW(drv, addr string) sysfsWrite { return sysfsWrite{"bus/pci/drivers/" + drv + "/bind", addr} }
func probeW(addr string) sysfsWrite     { return sysfsWrite{"bus/pci/drivers_probe", addr} }

// requireBinding fails unless the tree shows the device with binding want.
func requireBinding(t testing.TB, b *pciBinder, addr string, want plan.Binding) {
	t.Helper()
	got, err := b.binding(addr)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("binding of %s (-want +got):\n%s", addr, diff)
	}
}

var (
	onIGBVF = plan.Binding{Driver: "igbvf"}
	onVFIO  = plan.Binding{Driver: vfioPCI, DriverOverride: vfioPCI}
)

func TestPCIBinder_BindsToVFIOAndBackWithTheKernelSequence(t *testing.T) {
	k := newFakeKernel(t, writeTree(t, rebindHost()))
	k.native[treeVF] = "igbvf"
	b := k.binder()

	if err := b.bindTo(treeVF, vfioPCI); err != nil {
		t.Fatalf("bindTo: %v", err)
	}
	want := []sysfsWrite{overrideW(treeVF, vfioPCI), unbindW("igbvf", treeVF), probeW(treeVF)}
	if diff := cmp.Diff(want, k.takeWrites()); diff != "" {
		t.Errorf("writes of bindTo (-want +got):\n%s", diff)
	}
	requireBinding(t, b, treeVF, onVFIO)

	if err := b.restore(treeVF, onIGBVF); err != nil {
		t.Fatalf("restore: %v", err)
	}
	want = []sysfsWrite{overrideW(treeVF, "\n"), unbindW(vfioPCI, treeVF), bindW("igbvf", treeVF)}
	if diff := cmp.Diff(want, k.takeWrites()); diff != "" {
		t.Errorf("writes of restore (-want +got):\n%s", diff)
	}
	requireBinding(t, b, treeVF, onIGBVF)
}

// The states a crash can leave a device in, each reached by the first n writes of the
// sequence; calling the same function again must do exactly the rest.
func TestPCIBinder_ConvergesFromEveryIntermediateState(t *testing.T) {
	forward := []sysfsWrite{overrideW(treeVF, vfioPCI), unbindW("igbvf", treeVF), probeW(treeVF)}
	back := []sysfsWrite{overrideW(treeVF, "\n"), unbindW(vfioPCI, treeVF), bindW("igbvf", treeVF)}
	for _, tc := range []struct {
		name  string
		setup []sysfsWrite
		run   func(*pciBinder) error
		want  []sysfsWrite
		final plan.Binding
	}{
		{"bind from the start", nil, func(b *pciBinder) error { return b.bindTo(treeVF, vfioPCI) }, forward, onVFIO},
		{"bind after the override", forward[:1], func(b *pciBinder) error { return b.bindTo(treeVF, vfioPCI) }, forward[1:], onVFIO},
		{"bind after the unbind", forward[:2], func(b *pciBinder) error { return b.bindTo(treeVF, vfioPCI) }, forward[2:], onVFIO},
		{"bind when already bound", forward, func(b *pciBinder) error { return b.bindTo(treeVF, vfioPCI) }, nil, onVFIO},
		{"restore from vfio-pci", forward, func(b *pciBinder) error { return b.restore(treeVF, onIGBVF) }, back, onIGBVF},
		{"restore after clearing the override", append(forward[:3:3], back[:1]...),
			func(b *pciBinder) error { return b.restore(treeVF, onIGBVF) }, back[1:], onIGBVF},
		{"restore after the unbind", append(forward[:3:3], back[:2]...),
			func(b *pciBinder) error { return b.restore(treeVF, onIGBVF) }, back[2:], onIGBVF},
		{"restore when already back", append(forward[:3:3], back...), func(b *pciBinder) error { return b.restore(treeVF, onIGBVF) }, nil, onIGBVF},
		{"restore of a crash before the first write", nil, func(b *pciBinder) error { return b.restore(treeVF, onIGBVF) }, nil, onIGBVF},
		{"restore to unbound", forward, func(b *pciBinder) error { return b.restore(treeVF, plan.Binding{}) },
			[]sysfsWrite{overrideW(treeVF, "\n"), unbindW(vfioPCI, treeVF)}, plan.Binding{}},
		{"restore of an override the device had", forward, func(b *pciBinder) error {
			return b.restore(treeVF, plan.Binding{Driver: "igbvf", DriverOverride: "igbvf"})
		}, []sysfsWrite{overrideW(treeVF, "igbvf"), unbindW(vfioPCI, treeVF), bindW("igbvf", treeVF)}, plan.Binding{Driver: "igbvf", DriverOverride: "igbvf"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKernel(t, writeTree(t, rebindHost()))
			k.native[treeVF] = "igbvf"
			for _, w := range tc.setup {
				if err := k.write(filepath.Join(k.sysfs, w.Path), w.Value); err != nil {
					t.Fatalf("arranging %v: %v", w, err)
				}
			}
			k.takeWrites()
			b := k.binder()

			if err := tc.run(b); err != nil {
				t.Fatalf("run: %v", err)
			}
			if diff := cmp.Diff(tc.want, k.takeWrites()); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			requireBinding(t, b, treeVF, tc.final)
		})
	}
}

func TestPCIBinder_VerifiesTheDriverLink(t *testing.T) {
	t.Run("a plain tree does not react: the VF stays on igbvf", func(t *testing.T) {
		sysfs := writeTree(t, rebindHost())
		var writes []sysfsWrite
		b := &pciBinder{sysfs: sysfs, live: true, write: func(p, v string) error {
			rel, _ := filepath.Rel(sysfs, p)
			writes = append(writes, sysfsWrite{rel, v})
			return writeAttribute(p, v)
		}}
		err := b.bindTo(treeVF, vfioPCI)
		wantErrContaining(t, err, "vfio-pci did not take PCI device "+treeVF, "it has igbvf", "dmesg")
		want := []sysfsWrite{overrideW(treeVF, vfioPCI), unbindW("igbvf", treeVF), probeW(treeVF)}
		if diff := cmp.Diff(want, writes); diff != "" {
			t.Errorf("writes (-want +got):\n%s", diff)
		}
		got, err := os.ReadFile(filepath.Join(sysfs, "bus/pci/drivers_probe"))
		if err != nil || string(got) != treeVF {
			t.Errorf("drivers_probe holds %q (%v), want %s", got, err, treeVF)
		}
	})
	t.Run("vfio-pci's probe fails: the VF is left without a driver", func(t *testing.T) {
		k := newFakeKernel(t, writeTree(t, rebindHost()))
		k.refuse[vfioPCI] = true
		err := k.binder().bindTo(treeVF, vfioPCI)
		wantErrContaining(t, err, "vfio-pci did not take PCI device "+treeVF, "it has no driver")
	})
	t.Run("the original driver refuses the VF back", func(t *testing.T) {
		k := newFakeKernel(t, writeTree(t, rebindHost()))
		b := k.binder()
		if err := b.bindTo(treeVF, vfioPCI); err != nil {
			t.Fatal(err)
		}
		k.refuse["igbvf"] = true
		err := b.restore(treeVF, onIGBVF)
		wantErrContaining(t, err, "binding "+treeVF+" back to igbvf", "invalid argument")
	})
}

func TestPCIBinder_RefusesToWriteASyntheticHost(t *testing.T) {
	sysfs := writeTree(t, rebindHost())
	b := newPCIBinder(filepath.Dir(sysfs))
	b.write = func(p, v string) error { t.Errorf("wrote %s := %q", p, v); return nil }
	for name, err := range map[string]error{
		"bindTo":         b.bindTo(treeVF, vfioPCI),
		"restore":        b.restore(treeVF, onIGBVF),
		"checkVFIOReady": b.checkVFIOReady(treeVF, true),
	} {
		if !errors.Is(err, errNotLive) {
			t.Errorf("%s: err = %v, want %v", name, err, errNotLive)
		}
	}
	if !strings.Contains(errNotLive.Error(), "driver rebinding needs the live sysfs") {
		t.Errorf("errNotLive = %q", errNotLive)
	}
}

// groupOf is the IOMMU group of a device in the tree.
func groupOf(t testing.TB, sysfs, addr string) string {
	t.Helper()
	g, err := inventory.LinkBase(filepath.Join(sysfs, "bus/pci/devices", addr, "iommu_group"))
	if err != nil || g == "" {
		t.Fatalf("IOMMU group of %s: %q, %v", addr, g, err)
	}
	return g
}

func TestPCIBinder_CheckVFIOReady(t *testing.T) {
	tests := []struct {
		name    string
		host    func() *fakesys.Host
		arrange func(t *testing.T, sysfs string)
		rebind  bool
		wantErr []string
	}{
		{name: "VF in a group of its own", host: rebindHost, rebind: true},
		{name: "VF on vfio-pci already", host: rebindHost, arrange: func(*testing.T, string) {}},
		{name: "vfio-pci not loaded", rebind: true, host: func() *fakesys.Host {
			h := fakesys.NewHost()
			h.AddPF(fakesys.PF{NIC: fakesys.NIC{PCIAddress: treePF, Vendor: "8086", Device: "10c9", Driver: "igb",
				Netdev: fakesys.Netdev{IfName: "ens1f0"}}, TotalVFs: 7, VFDevice: "10ca",
				VFs: []fakesys.VF{{PCIAddress: treeVF, Driver: "igbvf", Netdev: fakesys.Netdev{IfName: "ens1f0v0"}}}})
			return h
		}, wantErr: []string{"vfio-pci driver is not loaded", "modprobe vfio-pci"}},
		{name: "no IOMMU", host: rebindHost, rebind: true, arrange: func(t *testing.T, sysfs string) {
			if err := os.Remove(filepath.Join(sysfs, "bus/pci/devices", treeVF, "iommu_group")); err != nil {
				t.Fatal(err)
			}
		}, wantErr: []string{"PCI device " + treeVF + " has no IOMMU group", "intel_iommu=on", "enable_unsafe_noiommu_mode"}},
		{name: "no IOMMU but vfio's no-IOMMU mode", host: rebindHost, rebind: true, arrange: func(t *testing.T, sysfs string) {
			if err := os.Remove(filepath.Join(sysfs, "bus/pci/devices", treeVF, "iommu_group")); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(sysfs, "module/vfio/parameters/enable_unsafe_noiommu_mode"), "Y\n")
		}},
		{name: "VF shares its group with the PF on igb", host: rebindHost, rebind: true, arrange: func(t *testing.T, sysfs string) {
			group := groupOf(t, sysfs, treeVF)
			pf, err := filepath.EvalSymlinks(filepath.Join(sysfs, "bus/pci/devices", treePF))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(pf, filepath.Join(sysfs, "kernel/iommu_groups", group, "devices", treePF)); err != nil {
				t.Fatal(err)
			}
		}, wantErr: []string{"IOMMU group", "also holds PCI device " + treePF + ", bound to igb", "no ACS"}},
		{name: "device gone", host: rebindHost, rebind: true, arrange: func(t *testing.T, sysfs string) {
			if err := os.Remove(filepath.Join(sysfs, "bus/pci/devices", treeVF)); err != nil {
				t.Fatal(err)
			}
		}, wantErr: []string{"PCI device " + treeVF + " is not in"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sysfs := writeTree(t, tt.host())
			addr := treeVF
			if tt.arrange != nil {
				tt.arrange(t, sysfs)
			}
			if !tt.rebind {
				addr = treeVFIOVF
			}
			b := newFakeKernel(t, sysfs).binder()
			err := b.checkVFIOReady(addr, tt.rebind)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("checkVFIOReady: %v", err)
				}
				return
			}
			wantErrContaining(t, err, tt.wantErr...)
		})
	}
}

func TestPCIBinder_GroupDeviceNamesNoIOMMUGroups(t *testing.T) {
	sysfs := writeTree(t, rebindHost())
	b := newFakeKernel(t, sysfs).binder()
	group := groupOf(t, sysfs, treeVFIOVF)
	got, err := b.groupDevice(treeVFIOVF)
	if err != nil || got != "/dev/vfio/"+group {
		t.Fatalf("groupDevice = %q, %v; want /dev/vfio/%s", got, err, group)
	}
	writeFile(t, filepath.Join(sysfs, "kernel/iommu_groups", group, "name"), "vfio-noiommu\n")
	got, err = b.groupDevice(treeVFIOVF)
	if err != nil || got != "/dev/vfio/noiommu-"+group {
		t.Fatalf("groupDevice in no-IOMMU mode = %q, %v; want /dev/vfio/noiommu-%s", got, err, group)
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
