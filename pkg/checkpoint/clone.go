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
		out.Attachment = &a
	}
	return out
}

func cloneDevice(d plan.Device) plan.Device {
	out := d
	out.Addresses = slices.Clone(d.Addresses)
	out.Routes = slices.Clone(d.Routes)
	return out
}
