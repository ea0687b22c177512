package driver

import (
	"context"
	"fmt"

	"k8s.io/klog/v2"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/plan"
)

// checkVFIOVFSettings refuses a hardware VLAN or an administrative MAC for a vfio-pci
// device that is no VF with a reachable PF (checkVFSettings covers the sriov fields):
// without a netdev the PF is the only place to set them.
func checkVFIOVFSettings(host inventory.Device, cfg *v1alpha1.NetworkConfig) error {
	var fields []string
	if cfg.VLAN != nil {
		fields = append(fields, "vlan")
	}
	if cfg.Interface != nil && cfg.Interface.MAC != "" {
		fields = append(fields, "interface.mac")
	}
	if len(fields) == 0 || host.Kind == inventory.KindVF && host.PFName != "" && host.VFIndex != nil {
		return nil
	}
	return fmt.Errorf("config %v set for vfio-pci device %s, which has no network interface; a PF sets them for its SR-IOV VFs, "+
		"and %s is a %s without a PF network interface to set them on: select VFs whose PF is bound to its kernel network driver, "+
		"or remove the settings", fields, describeDevice(host), host.PCIAddress, host.Kind)
}

// snapshotVFIOVF reads the PF's entry for a vfio-pci VF whose plan has PF settings (vf),
// for the checkpoint write that precedes any change; nil without settings.
func (d *Driver) snapshotVFIOVF(ctx context.Context, vf *plan.VFPlan) (*plan.VFOriginal, error) {
	if vf == nil {
		return nil, nil
	}
	if d.cfg.Netdevs == nil {
		return nil, fmt.Errorf("VF settings for PF %s cannot be made: this plugin has no netdev keeper", vf.PFName)
	}
	orig, err := d.cfg.Netdevs.SnapshotVF(*vf)
	if err != nil {
		return nil, fmt.Errorf("reading VF %d's settings on PF %s before changing them: %w", vf.Index, vf.PFName, err)
	}
	return &orig, nil
}

// applyClaimVFs makes the PF settings of every vfio-pci VF of c whose original entry is
// recorded. It runs once the VF is on vfio-pci, not before the unbind: a kernel VF driver
// going down re-registers its own MAC with the PF (igbvf's reset does), and once trust is
// on igb takes it over the administrative MAC just set (seen on the VM's 6.1 igb). The
// PF keeps its settings across the VF resets vfio-pci and DPDK do, and pushes the MAC to
// the VF on them. Settings already right are skipped, so a repeated prepare changes nothing.
func (d *Driver) applyClaimVFs(ctx context.Context, c plan.Claim) error {
	for _, dev := range c.Devices {
		if dev.VFIO == nil || dev.VFIO.VF == nil || dev.VF == nil {
			continue
		}
		if d.cfg.Netdevs == nil {
			return fmt.Errorf("device %s: VF settings for PF %s cannot be made: this plugin has no netdev keeper", dev.Device, dev.VF.PFName)
		}
		if err := d.cfg.Netdevs.ApplyVFWithoutNetdev(*dev.VF); err != nil {
			return fmt.Errorf("device %s: %w", dev.Device, err)
		}
		klog.FromContext(ctx).V(2).Info("Made VF settings on PF", "device", dev.Device, "pf", dev.VF.PFName, "vf", dev.VF.Index)
	}
	return nil
}

// restoreVFIOVF puts the PF's entry for a vfio-pci VF back to the original recorded at
// prepare. It runs before the VF goes back to its kernel driver: a PF that pins an
// administrative MAC makes the VF driver take that MAC at probe, and igb then refuses an
// untrusted VF any MAC change, so restoreNetdev could not give the netdev its MAC back.
// The kernel takes PF-side VF settings whatever driver the VF is on. A VF that is gone
// (its PF's VFs were disabled) has no entry left to restore.
func (d *Driver) restoreVFIOVF(ctx context.Context, dev plan.Device) error {
	if dev.VFIO == nil || dev.VFIO.VF == nil || dev.VF == nil {
		return nil
	}
	if d.pci.Gone(dev.Host.PCIAddress) {
		klog.FromContext(ctx).Info("VF is gone from sysfs; no PF settings to restore", "device", dev.Device, "pciAddress", dev.Host.PCIAddress)
		return nil
	}
	if d.cfg.Netdevs == nil {
		return fmt.Errorf("VF settings on PF %s cannot be restored: this plugin has no netdev keeper", dev.VF.PFName)
	}
	netdevMAC := ""
	if dev.VFIO.Netdev != nil {
		netdevMAC = dev.VFIO.Netdev.HardwareAddr
	}
	if err := d.cfg.Netdevs.RestoreVFWithoutNetdev(*dev.VF, *dev.VFIO.VF, netdevMAC); err != nil {
		return err
	}
	klog.FromContext(ctx).V(2).Info("Restored VF settings on PF", "device", dev.Device, "pf", dev.VF.PFName, "vf", dev.VF.Index)
	return nil
}
