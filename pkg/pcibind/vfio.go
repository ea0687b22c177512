package pcibind

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CheckVFIOReady refuses, before anything on the host changes, a device that vfio-pci
// could not hand to a pod: the kernel would bind it and the pod's DPDK would fail later,
// far from the cause. rebind says the device is still to be moved to vfio-pci.
func (b *Binder) CheckVFIOReady(addr string, rebind bool) error {
	if _, err := os.Stat(b.deviceDir(addr)); err != nil {
		return fmt.Errorf("PCI device %s is not in %s: %w", addr, b.sysfs, err)
	}
	if rebind {
		if !b.live {
			return ErrNotLive
		}
		if _, err := os.Stat(b.driverDir(VFIOPCI)); err != nil {
			return fmt.Errorf("the vfio-pci driver is not loaded on this node (%w): load it (modprobe vfio-pci)", err)
		}
	}
	group, err := linkBase(filepath.Join(b.deviceDir(addr), "iommu_group"))
	if err != nil {
		return fmt.Errorf("reading the IOMMU group of %s: %w", addr, err)
	}
	if group == "" {
		// In no-IOMMU mode vfio creates the group when vfio-pci binds.
		if rebind && b.noIOMMUMode() {
			return nil
		}
		return fmt.Errorf("PCI device %s has no IOMMU group, and vfio-pci needs one: enable the IOMMU "+
			"(intel_iommu=on or amd_iommu=on on the kernel command line; a virtual IOMMU in a VM) or, accepting that the "+
			"device can then write to any memory, vfio's unsafe no-IOMMU mode (vfio.enable_unsafe_noiommu_mode=1)", addr)
	}
	return b.checkGroupIsolated(addr, group)
}

// checkGroupIsolated refuses a group shared with a device some other driver uses: vfio
// hands out whole IOMMU groups, and opening one fails while any of its devices is bound
// to a driver that does DMA on its own. Without ACS a VF shares its group with its PF.
func (b *Binder) checkGroupIsolated(addr, group string) error {
	dir := filepath.Join(b.sysfs, "kernel/iommu_groups", group, "devices")
	members, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("listing IOMMU group %s of %s: %w", group, addr, err)
	}
	var errs []error
	for _, m := range members {
		if m.Name() == addr {
			continue
		}
		driver, err := linkBase(filepath.Join(dir, m.Name(), "driver"))
		if err != nil {
			return fmt.Errorf("reading the driver of %s in IOMMU group %s: %w", m.Name(), group, err)
		}
		if !sharesGroupWithVFIO(driver) {
			errs = append(errs, fmt.Errorf("IOMMU group %s of %s also holds PCI device %s, bound to %s; vfio can only hand out a group "+
				"whose other devices are unbound or on vfio-pci, pci-stub or pcieport: the platform does not isolate the two (no ACS), "+
				"so use a device in a group of its own", group, addr, m.Name(), driver))
		}
	}
	return errors.Join(errs...)
}

// sharesGroupWithVFIO says whether a device bound to driver leaves its IOMMU group usable
// by vfio: unbound, or a driver that declares it does no DMA of its own (the kernel's
// driver_managed_dma: vfio-pci and its vendor variants, pci-stub, pcieport).
func sharesGroupWithVFIO(driver string) bool {
	switch {
	case driver == "", driver == "pci-stub", driver == "pcieport":
		return true
	}
	return strings.Contains(strings.ReplaceAll(driver, "_", "-"), VFIOPCI)
}

// noIOMMUMode says whether vfio runs in its unsafe no-IOMMU mode.
func (b *Binder) noIOMMUMode() bool {
	v, err := os.ReadFile(filepath.Join(b.sysfs, "module/vfio/parameters/enable_unsafe_noiommu_mode"))
	return err == nil && strings.TrimSpace(string(v)) == "Y"
}

// GroupDevice is the character device of the device's IOMMU group, read once vfio-pci
// has it: /dev/vfio/<group>, or /dev/vfio/noiommu-<group> for a group vfio made up in
// no-IOMMU mode (the kernel names those groups vfio-noiommu).
func (b *Binder) GroupDevice(addr string) (string, error) {
	group, err := linkBase(filepath.Join(b.deviceDir(addr), "iommu_group"))
	if err != nil {
		return "", fmt.Errorf("reading the IOMMU group of %s: %w", addr, err)
	}
	if group == "" {
		return "", fmt.Errorf("PCI device %s has no IOMMU group although vfio-pci has it", addr)
	}
	name, err := os.ReadFile(filepath.Join(b.sysfs, "kernel/iommu_groups", group, "name"))
	switch {
	case err == nil && strings.TrimSpace(string(name)) == "vfio-noiommu":
		return "/dev/vfio/noiommu-" + group, nil
	case err == nil, errors.Is(err, fs.ErrNotExist):
		return "/dev/vfio/" + group, nil
	default:
		return "", fmt.Errorf("reading the name of IOMMU group %s: %w", group, err)
	}
}
