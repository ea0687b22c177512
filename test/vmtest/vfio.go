package vmtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// VFIODriver is the kernel driver that hands a PCI function to user space
// (DPDK) through /dev/vfio/<iommu group>.
const VFIODriver = "vfio-pci"

// BindVFIO moves a VF from its kernel driver to vfio-pci and returns its VFIO
// group device (/dev/vfio/<group>). The VM has an intel-iommu, so every VF
// sits in its own IOMMU group. The VF's netdev disappears while vfio-pci
// holds it. A cleanup gives the VF back to the driver the kernel picks for
// it (igbvf), registered so that it runs before the VFs are removed.
func BindVFIO(t testing.TB, vf VF) string {
	t.Helper()
	InVM(t)
	RequireModule(t, VFIODriver)
	dir := filepath.Join(pciDevicesDir, vf.PCIAddress)
	groupLink, err := os.Readlink(filepath.Join(dir, "iommu_group"))
	if err != nil {
		t.Fatalf("%v has no IOMMU group (is qemu started with -device intel-iommu and the kernel with intel_iommu=on?): %v", vf, err)
	}
	groupDev := filepath.Join("/dev/vfio", filepath.Base(groupLink))
	t.Cleanup(func() {
		if err := rebindDefaultDriver(vf.PCIAddress); err != nil {
			t.Errorf("cleanup: giving %v back to its kernel driver: %v", vf, err)
		}
	})
	if err := bindDriver(vf.PCIAddress, VFIODriver); err != nil {
		t.Fatalf("binding %v to %s: %v", vf, VFIODriver, err)
	}
	waitFor(t, fmt.Sprintf("%s to bind %v and create %s", VFIODriver, vf, groupDev), func() error {
		if d := boundDriver(dir); d != VFIODriver {
			return fmt.Errorf("bound driver %q", d)
		}
		_, err := os.Stat(groupDev)
		return err
	})
	return groupDev
}

// bindDriver binds a PCI device to driver through driver_override, which
// (unlike writing to the driver's new_id) binds this one device only, not
// every device with the same vendor/device ID.
func bindDriver(addr, driver string) error {
	dir := filepath.Join(pciDevicesDir, addr)
	if err := os.WriteFile(filepath.Join(dir, "driver_override"), []byte(driver), 0); err != nil {
		return err
	}
	if err := unbind(addr); err != nil {
		return err
	}
	return os.WriteFile("/sys/bus/pci/drivers_probe", []byte(addr), 0)
}

// rebindDefaultDriver clears driver_override and lets the kernel probe the
// device again, which binds the driver its IDs match (igbvf for an igb VF).
func rebindDefaultDriver(addr string) error {
	dir := filepath.Join(pciDevicesDir, addr)
	// A lone newline clears the override; an empty write is ignored.
	err := os.WriteFile(filepath.Join(dir, "driver_override"), []byte("\n"), 0)
	return errors.Join(err,
		unbind(addr),
		os.WriteFile("/sys/bus/pci/drivers_probe", []byte(addr), 0))
}

// unbind detaches a device from its driver, if it has one.
func unbind(addr string) error {
	unbindFile := filepath.Join(pciDevicesDir, addr, "driver", "unbind")
	if _, err := os.Stat(unbindFile); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return os.WriteFile(unbindFile, []byte(addr), 0)
}
