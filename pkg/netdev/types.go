package netdev

import (
	"errors"

	"github.com/netclaim/netclaim/pkg/plan"
)

// ErrDeviceGone reports that Detach found the device neither in the pod netns
// nor on the host. It happens when the pod netns was destroyed before Detach
// and the device was virtual (veth, macvlan, ipvlan, vlan): the kernel deletes
// such devices with their namespace. There is nothing left to restore, so
// callers should treat it as a finished detach, not as a failure that blocks
// cleanup: check with errors.Is(err, ErrDeviceGone).
var ErrDeviceGone = errors.New("device no longer exists")

// subInterfaceVLAN is the VLAN of the sub-interface Attach creates instead of moving the
// device, nil when it moves the device itself. Only plan.ModeVLAN makes a sub-interface:
// a VLAN in any other mode is no sub-interface (a VF's hardware tag is in the VF plan).
func subInterfaceVLAN(d plan.Device) *plan.VLAN {
	if d.Mode != plan.ModeVLAN {
		return nil
	}
	return d.VLAN
}
