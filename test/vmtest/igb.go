package vmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The VM's SR-IOV NIC: qemu's igb device emulates an Intel 82576 PF
// (8086:10c9, up to 7 VFs), whose VFs are 8086:10ca and bind igbvf.
const (
	igbVendor   = "0x8086"
	igbPFDevice = "0x10c9"
	igbPFDriver = "igb"
	// IGBVFDriver is the driver the kernel binds to the igb PF's VFs.
	IGBVFDriver = "igbvf"
)

// PF is a physical function with a netdev: the VM's igb PF (IGB) or a
// netdevsim device (Netdevsim).
type PF struct {
	// PCIAddress is the PF's PCI address ("0000:01:00.0"); empty for netdevsim,
	// which is not a PCI device.
	PCIAddress string
	// IfName is the PF's network interface in the VM's initial netns.
	IfName string
	// SysfsDir is the device's folder in sysfs, the one holding sriov_numvfs.
	SysfsDir string
}

// VF is an SR-IOV virtual function with its own netdev, as created by PF.VFs.
type VF struct {
	// Index is the VF number on its PF (the N of the PF's virtfnN link and
	// of netlink's VF list).
	Index int
	// PCIAddress is the VF's own PCI address.
	PCIAddress string
	// IfName is the VF netdev's name in the VM's initial netns when it was
	// created; code under test may move or rename it.
	IfName string
}

// IGB returns the VM's emulated igb PF, found by PCI vendor/device ID in
// /sys/bus/pci/devices, after loading the igb driver and waiting for it to
// bind and register the PF's netdev. There is exactly one in the VM; a
// second one is a broken VM setup and fails the test. The PF is left as the
// kernel registered it, down; see PF.Up.
func IGB(t testing.TB) PF {
	t.Helper()
	InVM(t)
	RequireModule(t, igbPFDriver)
	addr := findIGBPF(t)
	dir := filepath.Join(pciDevicesDir, addr)
	var ifName string
	waitFor(t, "igb to bind "+addr+" and register its netdev", func() error {
		if d := boundDriver(dir); d != igbPFDriver {
			return fmt.Errorf("bound driver %q, want %q", d, igbPFDriver)
		}
		var err error
		ifName, err = onlyNetdev(dir)
		return err
	})
	return PF{PCIAddress: addr, IfName: ifName, SysfsDir: dir}
}

// findIGBPF returns the PCI address of the single 8086:10c9 device.
func findIGBPF(t testing.TB) string {
	t.Helper()
	entries, err := os.ReadDir(pciDevicesDir)
	if err != nil {
		t.Fatalf("listing PCI devices: %v", err)
	}
	var found []string
	for _, e := range entries {
		dir := filepath.Join(pciDevicesDir, e.Name())
		vendor, _ := readSysfs(filepath.Join(dir, "vendor"))
		device, _ := readSysfs(filepath.Join(dir, "device"))
		if vendor == igbVendor && device == igbPFDevice {
			found = append(found, e.Name())
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one igb PF (8086:10c9) in %s, found %v: is qemu started with -device igb (test/vm/boot.sh)?",
			pciDevicesDir, found)
	}
	return found[0]
}

// VFs enables n VFs on a PCI PF through sriov_numvfs (from 0, so each test
// gets fresh VFs whatever an earlier one left; n = 0 just makes sure the PF
// has none), loads igbvf, waits until every
// VF is bound to it and has registered its netdev, and returns the VFs in
// index order. A cleanup sets sriov_numvfs back to 0; cleanups run last
// registered first, so it runs after the test's own cleanups (e.g. deleting
// a netns holding a VF) have returned the VFs.
func (pf PF) VFs(t testing.TB, n int) []VF {
	t.Helper()
	InVM(t)
	if pf.PCIAddress == "" {
		t.Fatalf("PF.VFs needs a PCI PF with VF netdevs; %s is netdevsim, whose VFs are not netdevs in legacy mode", pf.IfName)
	}
	RequireModule(t, IGBVFDriver)
	setNumVFs(t, pf.SysfsDir, 0)
	t.Cleanup(func() { resetNumVFs(t, pf.SysfsDir) })
	setNumVFs(t, pf.SysfsDir, n)
	vfs := make([]VF, n)
	for i := range vfs {
		vfs[i] = waitVF(t, pf, i)
	}
	return vfs
}

// waitVF waits for VF i of pf to be bound to igbvf with a netdev.
func waitVF(t testing.TB, pf PF, i int) VF {
	t.Helper()
	link := filepath.Join(pf.SysfsDir, fmt.Sprintf("virtfn%d", i))
	vf := VF{Index: i}
	waitFor(t, fmt.Sprintf("VF %d of %s to bind %s and register its netdev", i, pf.PCIAddress, IGBVFDriver), func() error {
		target, err := os.Readlink(link)
		if err != nil {
			return err
		}
		vf.PCIAddress = filepath.Base(target)
		dir := filepath.Join(pciDevicesDir, vf.PCIAddress)
		if d := boundDriver(dir); d != IGBVFDriver {
			return fmt.Errorf("%s bound to %q, want %q", vf.PCIAddress, d, IGBVFDriver)
		}
		vf.IfName, err = onlyNetdev(dir)
		return err
	})
	return vf
}

// String names the VF in test messages.
func (vf VF) String() string {
	return fmt.Sprintf("VF %d (%s, %s)", vf.Index, vf.PCIAddress, strings.TrimSpace(vf.IfName))
}
