package driver

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/klog/v2"

	"github.com/netclaim/netclaim/pkg/plan"
)

// NetdevKeeper records and restores the netdev of a PCI device whose driver prepare
// changes (sriov.driver: vfio-pci), and the PF's settings for such a VF. Unbinding the
// driver destroys the netdev, and binding it back creates a new one with the kernel's
// next free name, a new MAC, the driver's default MTU, down. *netdev.Host implements it
// over the host netns; the plugin's wiring passes it in, so that prepare does not import
// netlink code.
type NetdevKeeper interface {
	// Snapshot reads the state of the netdev link names (its name and PCI address).
	Snapshot(link plan.HostLink) (plan.Original, error)
	// Restore gives the device's current netdev, found by link (its PCI address), want's
	// name, MTU, MAC and up state.
	Restore(ctx context.Context, link plan.HostLink, want plan.Original) error
	// SnapshotVF reads the PF's entry for the VF: the values of exactly the fields vf sets.
	SnapshotVF(vf plan.VFPlan) (plan.VFOriginal, error)
	// ApplyVFWithoutNetdev makes vf's settings on the PF for a VF without a netdev (the
	// administrative MAC on the PF only). A failure puts back what it made and names the
	// setting, PF and PF driver.
	ApplyVFWithoutNetdev(vf plan.VFPlan) error
	// RestoreVFWithoutNetdev sets the PF's entry back to orig and reads it back. netdevMAC
	// is the VF netdev's MAC before its driver was unbound, "" for none.
	RestoreVFWithoutNetdev(vf plan.VFPlan, orig plan.VFOriginal, netdevMAC string) error
}

// snapshotNetdev reads the netdev of a device about to be rebound, nil when it has none.
func (d *Driver) snapshotNetdev(ctx context.Context, addr string) (*plan.Original, error) {
	names, err := d.pci.Netdevs(addr)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	if len(names) > 1 {
		return nil, fmt.Errorf("PCI device %s has several netdevs (%s), and netclaim restores one per device", addr, strings.Join(names, ", "))
	}
	if d.cfg.Netdevs == nil {
		return nil, fmt.Errorf("PCI device %s has netdev %s, which rebinding its driver destroys, and this plugin has no netdev keeper to restore it", addr, names[0])
	}
	orig, err := d.cfg.Netdevs.Snapshot(plan.HostLink{Name: names[0], PCIAddress: addr})
	if err != nil {
		return nil, fmt.Errorf("recording netdev %s before rebinding its driver: %w", names[0], err)
	}
	return &orig, nil
}

// restoreNetdev gives the netdev that binding the device's original driver back created
// the state recorded at prepare. The record stays in the checkpoint until this succeeds:
// a failure keeps the claim, and kubelet's next unprepare tries again.
func (d *Driver) restoreNetdev(ctx context.Context, dev plan.Device) error {
	want := dev.VFIO.Netdev
	if want == nil {
		return nil
	}
	addr := dev.Host.PCIAddress
	if d.cfg.Netdevs == nil {
		return fmt.Errorf("netdev %s of %s cannot be restored: this plugin has no netdev keeper", want.Name, addr)
	}
	name, err := d.pci.WaitNetdev(ctx, addr, dev.VFIO.Rebind.Driver)
	if err != nil {
		return err
	}
	if err := d.cfg.Netdevs.Restore(ctx, plan.HostLink{PCIAddress: addr}, *want); err != nil {
		return fmt.Errorf("restoring netdev %s of PCI device %s%s (the driver created it as %s): %w",
			want.Name, addr, d.pci.DescribePF(addr), name, err)
	}
	klog.FromContext(ctx).V(2).Info("Restored netdev", "pciAddress", addr, "name", want.Name, "createdAs", name,
		"mtu", want.MTU, "mac", want.HardwareAddr, "up", want.Up)
	return nil
}
