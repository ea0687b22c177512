package pcibindtest

import (
	"path/filepath"
	"testing"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
	"github.com/netclaim/netclaim/pkg/pcibind"
)

// Addresses of the functions AddIGB adds.
const (
	PF     = "0000:3b:00.0" // igb, netdev ens1f0
	IGBVF  = "0000:3b:02.0" // igbvf, netdev ens1f0v0
	VFIOVF = "0000:3b:02.1" // vfio-pci already
)

// AddIGB gives h an Intel 82576 PF with a VF on igbvf and one on vfio-pci, and loads
// vfio-pci. Every function has an IOMMU group of its own.
func AddIGB(h *fakesys.Host) {
	h.Drivers = append(h.Drivers, pcibind.VFIOPCI)
	h.AddPF(fakesys.PF{
		NIC: fakesys.NIC{PCIAddress: PF, PCIeRoot: "pci0000:3a", Vendor: "8086", Device: "10c9", Driver: "igb",
			Netdev: fakesys.Netdev{IfName: "ens1f0", SpeedMbps: 1000}},
		TotalVFs: 7, VFDevice: "10ca",
		VFs: []fakesys.VF{
			{PCIAddress: IGBVF, Driver: "igbvf", Netdev: fakesys.Netdev{IfName: "ens1f0v0"}},
			{PCIAddress: VFIOVF, Driver: pcibind.VFIOPCI},
		},
	})
}

// WriteTree renders h and returns its sysfs folder.
func WriteTree(t testing.TB, h *fakesys.Host) string {
	t.Helper()
	root := t.TempDir()
	if err := h.Write(root); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "sys")
}

// Group is the IOMMU group of a device in the tree.
func Group(t testing.TB, sysfs, addr string) string {
	t.Helper()
	g, err := inventory.LinkBase(filepath.Join(sysfs, "bus/pci/devices", addr, "iommu_group"))
	if err != nil || g == "" {
		t.Fatalf("IOMMU group of %s: %q, %v", addr, g, err)
	}
	return g
}
