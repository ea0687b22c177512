package driver

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/pkg/plan"
)

// planClaims builds the complete plan of every fresh claim; a claim whose plan cannot be
// built fails alone.
func (d *Driver) planClaims(ctx context.Context, fresh []*pendingClaim) map[types.UID]error {
	failed := map[types.UID]error{}
	for _, p := range fresh {
		c, err := d.planClaim(ctx, p)
		if err != nil {
			failed[p.claim.UID] = err
			continue
		}
		p.plan = c
	}
	return failed
}

// planClaim records what prepare decided for the claim, for the NRI hook to carry out
// without looking at the claim or the config again, and for a vfio-pci device what the
// host looks like before prepare changes it (planVFIO), for unprepare to put back.
func (d *Driver) planClaim(ctx context.Context, p *pendingClaim) (plan.Claim, error) {
	c := plan.Claim{
		UID:       string(p.claim.UID),
		Namespace: p.claim.Namespace,
		Name:      p.claim.Name,
		PodUID:    p.pod.UID,
		Devices:   make([]plan.Device, len(p.devices)),
	}
	for i, dev := range p.devices {
		pd, err := d.planDevice(ctx, dev)
		if err != nil {
			return plan.Claim{}, fmt.Errorf("device %s: %w", dev.result.Device, err)
		}
		c.Devices[i] = pd
	}
	return c, nil
}

// planDevice plans one device: a netdev with its interface in the pod and the character
// devices of its RDMA devices, or a vfio-pci device, which has no interface.
func (d *Driver) planDevice(ctx context.Context, dev pendingDevice) (plan.Device, error) {
	cfg := dev.config
	pd := plan.Device{
		Request: parentRequest(dev.result.Request),
		Pool:    dev.result.Pool,
		Device:  dev.result.Device,
		Host: plan.HostLink{
			Name:         dev.host.IfName,
			PCIAddress:   dev.host.PCIAddress,
			HardwareAddr: dev.host.MAC,
		},
		VF: planVF(dev),
	}
	if dev.vfio != nil {
		vfio, err := d.planVFIO(ctx, dev.host.PCIAddress, dev.vfio.rebind, pd.VF)
		pd.VFIO = vfio
		return pd, err
	}
	pd.Target = targetInterface(dev.ifName, cfg.Interface)
	pd.Addresses = append([]string(nil), cfg.Addresses...)
	pd.Routes = planRoutes(cfg.Routes)
	planSubInterface(&pd, cfg)
	planVRFAndRules(&pd, cfg)
	if len(dev.host.RDMAVerbsDevices) > 0 {
		pd.RDMA = d.rdmaAccess(dev.host.RDMADevices, dev.host.RDMAVerbsDevices)
	}
	return pd, nil
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
