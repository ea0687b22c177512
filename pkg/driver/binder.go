package driver

import (
	"context"

	"github.com/netclaim/netclaim/pkg/pcibind"
	"github.com/netclaim/netclaim/pkg/plan"
)

// vfioPCI is the kernel driver that hands a PCI device to userspace (DPDK).
const vfioPCI = pcibind.VFIOPCI

// Binder is what prepare and unprepare need from the host's PCI core for a device handed
// to the pod through vfio-pci: its driver binding, the move to vfio-pci and back, and
// what sysfs shows around it. *pcibind.Binder implements it over sysfs.
type Binder interface {
	// Binding reads the device's driver and driver_override.
	Binding(pciAddress string) (plan.Binding, error)
	// CheckVFIOReady refuses a device that vfio-pci could not hand to a pod; rebind says
	// it is still to be moved there.
	CheckVFIOReady(pciAddress string, rebind bool) error
	// Bind moves the device to driver and checks that the driver took it.
	Bind(pciAddress, driver string) error
	// Restore puts the device back to an earlier binding; a device gone from sysfs yields
	// an error wrapping pcibind.ErrDeviceGone.
	Restore(pciAddress string, to plan.Binding) error
	// Gone says whether the device is no longer in sysfs.
	Gone(pciAddress string) bool
	// GroupDevice is the character device of the device's IOMMU group (/dev/vfio/N).
	GroupDevice(pciAddress string) (string, error)
	// Netdevs lists the device's netdevs in this network namespace.
	Netdevs(pciAddress string) ([]string, error)
	// WaitNetdev waits for the one netdev that binding driver back creates, and names it.
	WaitNetdev(ctx context.Context, pciAddress, driver string) (string, error)
	// DescribePF names a VF's PF for messages, "" for a device that is no VF.
	DescribePF(pciAddress string) string
}

var _ Binder = (*pcibind.Binder)(nil)
