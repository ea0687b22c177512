package nri

import (
	"github.com/netclaim/netclaim/pkg/claimstatus"
	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/plan"
)

// attachSpec translates a plan device into netdev's plain values.
func attachSpec(d plan.Device) netdev.AttachSpec {
	routes := make([]netdev.Route, 0, len(d.Routes))
	for _, r := range d.Routes {
		routes = append(routes, netdev.Route{Destination: r.Destination, Gateway: r.Gateway, Table: r.Table})
	}
	spec := netdev.AttachSpec{
		Link:      netdev.LinkRef{Name: d.Host.Name, HardwareAddr: d.Host.HardwareAddr, PCIAddress: d.Host.PCIAddress},
		Target:    netdev.Target{Name: d.Target.Name, MTU: d.Target.MTU, HardwareAddr: d.Target.HardwareAddr},
		Addresses: d.Addresses,
		Routes:    routes,
	}
	addVLANAndPolicyRouting(&spec, d)
	spec.VF = vfSpec(d.VF)
	return spec
}

func toPlanOriginal(o netdev.Original) plan.Original {
	return plan.Original{Name: o.Name, Index: o.Index, MTU: o.MTU, HardwareAddr: o.HardwareAddr, Up: o.Up, VF: toPlanVFOriginal(o.VF)}
}

func toNetdevOriginal(o plan.Original) netdev.Original {
	return netdev.Original{Name: o.Name, Index: o.Index, MTU: o.MTU, HardwareAddr: o.HardwareAddr, Up: o.Up, VF: toNetdevVFOriginal(o.VF)}
}

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
