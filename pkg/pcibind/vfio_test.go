package pcibind_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
	pt "github.com/netclaim/netclaim/pkg/pcibind/pcibindtest"
	"github.com/netclaim/netclaim/test/netnstest"
)

func TestBinder_CheckVFIOReady(t *testing.T) {
	igbHost := func() *fakesys.Host {
		h := fakesys.NewHost()
		pt.AddIGB(h)
		return h
	}
	tests := []struct {
		name    string
		host    func() *fakesys.Host
		arrange func(t *testing.T, sysfs string)
		rebind  bool
		wantErr []string
	}{
		{name: "VF in a group of its own", host: igbHost, rebind: true},
		{name: "VF on vfio-pci already", host: igbHost, arrange: func(*testing.T, string) {}},
		{name: "vfio-pci not loaded", rebind: true, host: func() *fakesys.Host {
			h := fakesys.NewHost()
			h.AddPF(fakesys.PF{NIC: fakesys.NIC{PCIAddress: treePF, Vendor: "8086", Device: "10c9", Driver: "igb",
				Netdev: fakesys.Netdev{IfName: "ens1f0"}}, TotalVFs: 7, VFDevice: "10ca",
				VFs: []fakesys.VF{{PCIAddress: treeVF, Driver: "igbvf", Netdev: fakesys.Netdev{IfName: "ens1f0v0"}}}})
			return h
		}, wantErr: []string{"vfio-pci driver is not loaded", "modprobe vfio-pci"}},
		{name: "no IOMMU", host: igbHost, rebind: true, arrange: func(t *testing.T, sysfs string) {
			if err := os.Remove(filepath.Join(sysfs, "bus/pci/devices", treeVF, "iommu_group")); err != nil {
				t.Fatal(err)
			}
		}, wantErr: []string{"PCI device " + treeVF + " has no IOMMU group", "intel_iommu=on", "enable_unsafe_noiommu_mode"}},
		{name: "no IOMMU but vfio's no-IOMMU mode", host: igbHost, rebind: true, arrange: func(t *testing.T, sysfs string) {
			if err := os.Remove(filepath.Join(sysfs, "bus/pci/devices", treeVF, "iommu_group")); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(sysfs, "module/vfio/parameters/enable_unsafe_noiommu_mode"), "Y\n")
		}},
		{name: "VF shares its group with the PF on igb", host: igbHost, rebind: true, arrange: func(t *testing.T, sysfs string) {
			group := pt.Group(t, sysfs, treeVF)
			pf, err := filepath.EvalSymlinks(filepath.Join(sysfs, "bus/pci/devices", treePF))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(pf, filepath.Join(sysfs, "kernel/iommu_groups", group, "devices", treePF)); err != nil {
				t.Fatal(err)
			}
		}, wantErr: []string{"IOMMU group", "also holds PCI device " + treePF + ", bound to igb", "no ACS"}},
		{name: "device gone", host: igbHost, rebind: true, arrange: func(t *testing.T, sysfs string) {
			if err := os.Remove(filepath.Join(sysfs, "bus/pci/devices", treeVF)); err != nil {
				t.Fatal(err)
			}
		}, wantErr: []string{"PCI device " + treeVF + " is not in"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sysfs := pt.WriteTree(t, tt.host())
			addr := treeVF
			if tt.arrange != nil {
				tt.arrange(t, sysfs)
			}
			if !tt.rebind {
				addr = treeVFIOVF
			}
			b := pt.NewKernel(t, sysfs).Binder()
			err := b.CheckVFIOReady(addr, tt.rebind)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("CheckVFIOReady: %v", err)
				}
				return
			}
			netnstest.RequireErrorContains(t, err, tt.wantErr...)
		})
	}
}

func TestBinder_GroupDeviceNamesNoIOMMUGroups(t *testing.T) {
	sysfs := igbTree(t)
	b := pt.NewKernel(t, sysfs).Binder()
	group := pt.Group(t, sysfs, treeVFIOVF)
	got, err := b.GroupDevice(treeVFIOVF)
	if err != nil || got != "/dev/vfio/"+group {
		t.Fatalf("GroupDevice = %q, %v; want /dev/vfio/%s", got, err, group)
	}
	writeFile(t, filepath.Join(sysfs, "kernel/iommu_groups", group, "name"), "vfio-noiommu\n")
	got, err = b.GroupDevice(treeVFIOVF)
	if err != nil || got != "/dev/vfio/noiommu-"+group {
		t.Fatalf("GroupDevice in no-IOMMU mode = %q, %v; want /dev/vfio/noiommu-%s", got, err, group)
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
