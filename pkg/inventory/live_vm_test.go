//go:build vmtest

package inventory

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/test/vmtest"
)

// TestVM_Discover_ListsIGBVFsInsteadOfTheirPF scans the VM's live sysfs with
// two VFs enabled on the emulated igb PF: each VF is a vf device naming its
// PF, index, driver and IOMMU group, and the PF itself is not offered, since
// its VFs are.
func TestVM_Discover_ListsIGBVFsInsteadOfTheirPF(t *testing.T) {
	pf := vmtest.IGB(t)
	vfs := pf.VFs(t, 2)
	devices := discoverLive(t)

	if d, ok := devices[pf.PCIAddress]; ok {
		t.Errorf("PF %s with VFs enabled is published: %+v", pf.PCIAddress, d)
	}
	for _, vf := range vfs {
		want := wantIGBVF(t, pf, vf)
		got, ok := devices[vf.PCIAddress]
		if !ok {
			t.Errorf("%v is not discovered", vf)
			continue
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Device{}, "OperState", "SpeedMbps")); diff != "" {
			t.Errorf("%v discovered wrong (-want +got):\n%s", vf, diff)
		}
	}
}

// TestVM_Discover_ListsIGBPFWithoutVFs: with no VF enabled the igb PF is
// offered whole, as a pf device that says how many VFs it could have.
func TestVM_Discover_ListsIGBPFWithoutVFs(t *testing.T) {
	pf := vmtest.IGB(t)
	pf.VFs(t, 0)
	devices := discoverLive(t)

	got, ok := devices[pf.PCIAddress]
	if !ok {
		t.Fatalf("PF %s (%s) without VFs is not discovered", pf.PCIAddress, pf.IfName)
	}
	link := vmLink(t, pf.IfName)
	want := Device{
		Name:          mustPCIDeviceName(t, pf.PCIAddress),
		Kind:          KindPF,
		IfName:        pf.IfName,
		PCIAddress:    pf.PCIAddress,
		Vendor:        "8086",
		DeviceID:      "10c9",
		Driver:        "igb",
		SRIOVTotalVFs: ptr(7), // qemu's 82576 offers 7
		SRIOVNumVFs:   ptr(0),
		LinkType:      LinkTypeEthernet,
		MAC:           link.Attrs().HardwareAddr.String(),
		MTU:           link.Attrs().MTU,
		IOMMUGroup:    iommuGroup(t, pf.PCIAddress),
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Device{}, "OperState", "SpeedMbps")); diff != "" {
		t.Errorf("PF %s discovered wrong (-want +got):\n%s", pf.PCIAddress, diff)
	}
}

// wantIGBVF is what discovery must say about vf: identity from the fixture,
// link facts read from the kernel over netlink, the IOMMU group from sysfs.
func wantIGBVF(t *testing.T, pf vmtest.PF, vf vmtest.VF) Device {
	t.Helper()
	link := vmLink(t, vf.IfName)
	return Device{
		Name:         mustPCIDeviceName(t, vf.PCIAddress),
		Kind:         KindVF,
		IfName:       vf.IfName,
		PCIAddress:   vf.PCIAddress,
		Vendor:       "8086",
		DeviceID:     "10ca",
		Driver:       vmtest.IGBVFDriver,
		PFName:       pf.IfName,
		PFPCIAddress: pf.PCIAddress,
		PFMTU:        vmLink(t, pf.IfName).Attrs().MTU,
		VFIndex:      ptr(vf.Index),
		LinkType:     LinkTypeEthernet,
		MAC:          link.Attrs().HardwareAddr.String(),
		MTU:          link.Attrs().MTU,
		IOMMUGroup:   iommuGroup(t, vf.PCIAddress),
	}
}

// discoverLive runs Discover on the VM itself and indexes the PCI devices by
// address.
func discoverLive(t *testing.T) map[string]Device {
	t.Helper()
	t.Setenv("TMPDIR", t.TempDir()) // the VM has no pci.ids: the embedded one is unpacked there
	devices, err := Discover(context.Background(), Options{HostRoot: "/"})
	if err != nil {
		t.Fatalf("Discover on the VM: %v", err)
	}
	byAddress := make(map[string]Device)
	for _, d := range devices {
		if d.PCIAddress != "" {
			byAddress[d.PCIAddress] = d
		}
	}
	return byAddress
}

func vmLink(t *testing.T, name string) netlink.Link {
	t.Helper()
	link, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatalf("reading link %s: %v", name, err)
	}
	return link
}

// iommuGroup reads the function's IOMMU group; the VM has an intel-iommu, so
// every function has one.
func iommuGroup(t *testing.T, pciAddress string) string {
	t.Helper()
	target, err := os.Readlink(filepath.Join("/sys/bus/pci/devices", pciAddress, "iommu_group"))
	if err != nil {
		t.Fatalf("reading the IOMMU group of %s: %v", pciAddress, err)
	}
	return filepath.Base(target)
}

func mustPCIDeviceName(t *testing.T, pciAddress string) string {
	t.Helper()
	name, err := PCIDeviceName(pciAddress)
	if err != nil {
		t.Fatal(err)
	}
	return name
}
