package checkpoint

import (
	"slices"

	"github.com/netclaim/netclaim/pkg/plan"
)

// cloneClaim copies every slice and pointer of c, so that the store and its callers never
// share memory. TestCloneClaim_CopiesEveryField fails when plan grows a field this misses.
func cloneClaim(c plan.Claim) plan.Claim {
	out := c
	out.CDIDeviceIDs = slices.Clone(c.CDIDeviceIDs)
	if c.Devices != nil {
		out.Devices = make([]plan.Device, len(c.Devices))
		for i, d := range c.Devices {
			out.Devices[i] = cloneDevice(d)
		}
	}
	if c.Attachment != nil {
		a := *c.Attachment
		a.Originals = slices.Clone(c.Attachment.Originals)
		for i := range a.Originals {
			a.Originals[i].VF = cloneVFOriginal(a.Originals[i].VF)
		}
		out.Attachment = &a
	}
	return out
}

func cloneDevice(d plan.Device) plan.Device {
	out := d
	out.Addresses = slices.Clone(d.Addresses)
	out.Routes = slices.Clone(d.Routes)
	out.VLAN = clonePtr(d.VLAN)
	out.VRF = clonePtr(d.VRF)
	if d.Rules != nil {
		out.Rules = make([]plan.Rule, len(d.Rules))
		for i, r := range d.Rules {
			r.Priority = clonePtr(r.Priority)
			out.Rules[i] = r
		}
	}
	out.VFIO = cloneVFIO(d.VFIO)
	out.RDMA = cloneRDMA(d.RDMA)
	out.VF = cloneVFPlan(d.VF)
	return out
}

func cloneVFIO(v *plan.VFIO) *plan.VFIO {
	if v == nil {
		return nil
	}
	out := *v
	out.Rebind = clonePtr(v.Rebind)
	if v.Netdev != nil {
		n := *v.Netdev
		n.VF = cloneVFOriginal(v.Netdev.VF)
		out.Netdev = &n
	}
	out.VF = cloneVFOriginal(v.VF)
	return &out
}

func cloneRDMA(r *plan.RDMA) *plan.RDMA {
	if r == nil {
		return nil
	}
	return &plan.RDMA{Devices: slices.Clone(r.Devices), DeviceNodes: slices.Clone(r.DeviceNodes)}
}

// clonePtr copies the value p points at; nil stays nil.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
