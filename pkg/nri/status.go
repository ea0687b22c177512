package nri

import (
	"github.com/netclaim/netclaim/pkg/claimstatus"
	"github.com/netclaim/netclaim/pkg/plan"
)

// readyStatus reports what the pod got from each device of an attached claim.
func readyStatus(c plan.Claim) claimstatus.Update {
	u := claimstatus.Update{Namespace: c.Namespace, Name: c.Name, UID: c.UID}
	for i, d := range c.Devices {
		u.Devices = append(u.Devices, claimstatus.DeviceStatus{
			Pool: d.Pool, Device: d.Device, InterfaceName: d.Target.Name,
			IPs: d.Addresses, HardwareAddress: c.HardwareAddr(i), Ready: true,
		})
	}
	return u
}

// clearedStatus removes this driver's device entries once the devices are back on the host.
func clearedStatus(c plan.Claim) claimstatus.Update {
	return claimstatus.Update{Namespace: c.Namespace, Name: c.Name, UID: c.UID}
}
