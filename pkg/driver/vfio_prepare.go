package driver

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	"github.com/netclaim/netclaim/pkg/pcibind"
	"github.com/netclaim/netclaim/pkg/plan"
)

// planVFIO records, for a device the pod gets through vfio-pci, what unprepare needs to
// put the host back: for a device prepare moves to vfio-pci its original binding and
// netdev, for a device on vfio-pci already its IOMMU group's character device, and for a
// VF with settings on its PF (vf) the PF's original entry. The group device of a device
// still to be bound is the bind's result (bindClaim): vfio creates /dev/vfio/<group> when
// vfio-pci takes the device, and in no-IOMMU mode the group itself.
func (d *Driver) planVFIO(ctx context.Context, addr string, rebind bool, vf *plan.VFPlan) (*plan.VFIO, error) {
	v := &plan.VFIO{}
	if rebind {
		orig, err := d.pci.Binding(addr)
		if err != nil {
			return nil, err
		}
		netdev, err := d.snapshotNetdev(ctx, addr)
		if err != nil {
			return nil, err
		}
		v.Rebind, v.Netdev = &orig, netdev
	} else {
		group, err := d.pci.GroupDevice(addr)
		if err != nil {
			return nil, err
		}
		v.GroupDevice = group
	}
	orig, err := d.snapshotVFIOVF(ctx, vf)
	if err != nil {
		return nil, err
	}
	v.VF = orig
	return v, nil
}

// bindDevices makes prepare's changes on the host: it binds the devices whose plans
// rebind them to vfio-pci and makes their VFs' settings on the PF.
//
// Binding is the slow, fallible part of prepare and changes the host, so the plans with
// the devices' original bindings are persisted (one checkpoint write for all claims)
// before the first sysfs write: a plugin that dies half-way leaves a checkpointed claim
// that a repeated prepare finishes (resumeBindings) and unprepare restores
// (restoreBindings). The same write records the PF's original entry for each VF that
// gets PF settings (vfio_vf.go).
func (d *Driver) bindDevices(ctx context.Context, fresh []*pendingClaim) map[types.UID]error {
	var rebinding []*pendingClaim
	for _, p := range fresh {
		if rebindsDevices(p.plan) {
			rebinding = append(rebinding, p)
		}
	}
	if len(rebinding) == 0 {
		return nil
	}
	failed := map[types.UID]error{}
	if err := d.recordBindings(rebinding); err != nil {
		for _, p := range rebinding {
			failed[p.claim.UID] = err
		}
		return failed
	}
	d.step(StepPrepareBindingsRecorded)
	for _, p := range rebinding {
		if _, err := d.changeHost(ctx, &p.plan); err != nil {
			failed[p.claim.UID] = d.undoBindings(ctx, p.plan, err)
		}
	}
	d.step(StepPrepareDriversBound)
	return failed
}

// changeHost binds c's devices to vfio-pci where its plan says so, then makes the PF
// settings of its vfio-pci VFs; changed says whether the plan changed (a group device).
func (d *Driver) changeHost(ctx context.Context, c *plan.Claim) (changed bool, err error) {
	changed, err = d.bindClaim(ctx, c)
	if err != nil {
		return changed, err
	}
	return changed, d.applyClaimVFs(ctx, *c)
}

// recordBindings persists the plans whose devices are about to be rebound, with their
// original bindings and without CDI device IDs: such an entry is a claim whose prepare
// has not finished.
func (d *Driver) recordBindings(claims []*pendingClaim) error {
	plans := make([]plan.Claim, len(claims))
	for i, p := range claims {
		plans[i] = p.plan
	}
	if err := d.cfg.Checkpoint.Put(plans...); err != nil {
		return fmt.Errorf("recording the devices' drivers before rebinding them: %w", err)
	}
	return nil
}

// bindClaim binds every device of c that its plan rebinds to vfio-pci and records its
// IOMMU group; changed says whether the plan changed.
func (d *Driver) bindClaim(ctx context.Context, c *plan.Claim) (changed bool, err error) {
	for i := range c.Devices {
		dev := &c.Devices[i]
		if dev.VFIO == nil || dev.VFIO.Rebind == nil {
			continue
		}
		if err := d.pci.Bind(dev.Host.PCIAddress, vfioPCI); err != nil {
			return changed, fmt.Errorf("device %s: binding it to vfio-pci: %w", dev.Device, err)
		}
		group, err := d.pci.GroupDevice(dev.Host.PCIAddress)
		if err != nil {
			return changed, fmt.Errorf("device %s: %w", dev.Device, err)
		}
		if dev.VFIO.GroupDevice != group {
			dev.VFIO.GroupDevice = group
			changed = true
		}
		klog.FromContext(ctx).V(2).Info("Bound device to vfio-pci", "device", dev.Device, "pciAddress", dev.Host.PCIAddress,
			"from", dev.VFIO.Rebind.Driver, "group", group)
	}
	return changed, nil
}

// undoBindings puts the devices of a claim whose binding failed back and forgets the
// claim. When that fails too, the claim stays recorded: kubelet's next prepare tries
// again, and its unprepare (the pod is deleted) restores the devices.
func (d *Driver) undoBindings(ctx context.Context, c plan.Claim, cause error) error {
	if err := d.restoreBindings(ctx, c); err != nil {
		return errors.Join(cause, fmt.Errorf("putting the devices back failed too, unprepare will retry: %w", err))
	}
	if err := d.cfg.Checkpoint.Delete(c.UID); err != nil {
		return errors.Join(cause, fmt.Errorf("forgetting the claim after restoring its devices: %w", err))
	}
	return cause
}

// resumeBindings finishes the prepare of a recorded claim: one whose plugin died between
// recording the bindings and persisting the CDI device IDs, or one whose binding failed
// and could not be undone. For a complete claim it makes sure the devices are still on
// vfio-pci: after a node reboot kubelet prepares again the claims whose plans survived,
// and the VFs came back on their kernel drivers. Nothing is written when nothing changed.
func (d *Driver) resumeBindings(ctx context.Context, c plan.Claim) (plan.Claim, error) {
	if !rebindsDevices(c) {
		return c, nil
	}
	// The original VF entries are the checkpoint's: applying again only fixes what differs.
	changed, err := d.changeHost(ctx, &c)
	if err != nil {
		return c, err
	}
	if len(c.CDIDeviceIDs) != len(c.Devices) {
		ids, err := d.cdi.write(c)
		if err != nil {
			return c, err
		}
		c.CDIDeviceIDs = ids
		changed = true
	}
	if !changed {
		return c, nil
	}
	if err := d.cfg.Checkpoint.Put(c); err != nil {
		return c, fmt.Errorf("recording the finished prepare: %w", err)
	}
	return c, nil
}

// restoreBindings puts every device prepare rebound back on its original driver, and
// its new netdev back to the recorded state, last device first; the PF's entry for a VF
// given PF settings goes back first (restoreVFIOVF says why). It goes on after a
// failure and reports all of them.
func (d *Driver) restoreBindings(ctx context.Context, c plan.Claim) error {
	var errs []error
	for i := len(c.Devices) - 1; i >= 0; i-- {
		dev := c.Devices[i]
		if err := d.restoreVFIOVF(ctx, dev); err != nil {
			errs = append(errs, fmt.Errorf("device %s: %w", dev.Device, err))
		}
		if dev.VFIO == nil || dev.VFIO.Rebind == nil {
			continue
		}
		err := d.pci.Restore(dev.Host.PCIAddress, *dev.VFIO.Rebind)
		if errors.Is(err, pcibind.ErrDeviceGone) {
			// Disabling a PF's VFs or unplugging the device removes it with its binding.
			klog.FromContext(ctx).Info("Device is gone from sysfs; no driver to restore", "device", dev.Device, "pciAddress", dev.Host.PCIAddress)
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("device %s: restoring driver %s: %w", dev.Device, driverOrNone(dev.VFIO.Rebind.Driver), err))
			continue
		}
		klog.FromContext(ctx).V(2).Info("Restored device driver", "device", dev.Device, "pciAddress", dev.Host.PCIAddress,
			"driver", dev.VFIO.Rebind.Driver)
		if err := d.restoreNetdev(ctx, dev); err != nil {
			errs = append(errs, fmt.Errorf("device %s: %w", dev.Device, err))
		}
	}
	return errors.Join(errs...)
}

// rebindsDevices says whether prepare changes the host for a device of c: rebinds it to
// vfio-pci or makes VF settings on its PF.
func rebindsDevices(c plan.Claim) bool {
	for _, dev := range c.Devices {
		if dev.VFIO != nil && (dev.VFIO.Rebind != nil || dev.VFIO.VF != nil) {
			return true
		}
	}
	return false
}
