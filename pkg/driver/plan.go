package driver

import (
	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/pkg/plan"
)

// buildPlan records what prepare decided for the claim, for the NRI hook to carry out
// without looking at the claim or the config again.
func buildPlan(p *pendingClaim) plan.Claim {
	c := plan.Claim{
		UID:       string(p.claim.UID),
		Namespace: p.claim.Namespace,
		Name:      p.claim.Name,
		PodUID:    p.pod.UID,
		Devices:   make([]plan.Device, len(p.devices)),
	}
	for i, dev := range p.devices {
		c.Devices[i] = planDevice(dev)
	}
	return c
}

func planDevice(dev pendingDevice) plan.Device {
	cfg := dev.config
	d := plan.Device{
		Request: parentRequest(dev.result.Request),
		Pool:    dev.result.Pool,
		Device:  dev.result.Device,
		Host: plan.HostLink{
			Name:         dev.host.IfName,
			PCIAddress:   dev.host.PCIAddress,
			HardwareAddr: dev.host.MAC,
		},
		Target:    targetInterface(dev.ifName, cfg.Interface),
		Addresses: append([]string(nil), cfg.Addresses...),
		Routes:    planRoutes(cfg.Routes),
	}
	planSubInterface(&d, cfg)
	planVRFAndRules(&d, cfg)
	d.VF = planVF(dev)
	return d
}

// targetInterface leaves MTU and MAC zero when the config does not set them: the device
// keeps its own.
func targetInterface(name string, ic *v1alpha1.InterfaceConfig) plan.Interface {
	t := plan.Interface{Name: name}
	if ic == nil {
		return t
	}
	if ic.MTU != nil {
		t.MTU = int(*ic.MTU)
	}
	t.HardwareAddr = ic.MAC
	return t
}

func planRoutes(routes []v1alpha1.RouteConfig) []plan.Route {
	if len(routes) == 0 {
		return nil
	}
	out := make([]plan.Route, len(routes))
	for i, r := range routes {
		out[i] = plan.Route{Destination: r.Destination, Gateway: r.Gateway}
		if r.Table != nil {
			out[i].Table = int(*r.Table)
		}
	}
	return out
}
