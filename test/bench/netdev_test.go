package bench

import (
	"context"
	"testing"

	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

// netdevPath is pkg/netdev alone, as pkg/nri calls it but without the checkpoint: a
// snapshot, then Attach; Detach with that snapshot. It is not a target, it splits the
// difference between netclaim and the floor into netlink work (this) and the durable
// checkpoint writes that pkg/nri adds around it.
type netdevPath struct {
	host    *netdev.Host
	spec    plan.Device
	orig    plan.Original
	podPath string
}

func newNetdevPath(tb testing.TB, n *node, nic netnstest.NIC) *netdevPath {
	tb.Helper()
	host, err := netdev.OpenHostAt(n.NodePath)
	if err != nil {
		tb.Fatalf("netdev: %v", err)
	}
	tb.Cleanup(func() {
		if err := host.Close(); err != nil {
			tb.Errorf("netdev: %v", err)
		}
	})
	return &netdevPath{
		host: host, podPath: n.PodPath,
		spec: plan.Device{
			Host:      plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC},
			Target:    plan.Interface{Name: podIfName, MTU: podMTU},
			Addresses: []string{podAddr4, podAddr6},
			Routes:    []plan.Route{{Destination: routeDst, Gateway: routeGW}},
		},
	}
}

func (p *netdevPath) attach(int) error {
	orig, err := p.host.Snapshot(p.spec.Host)
	if err != nil {
		return err
	}
	p.orig = orig
	return p.host.Attach(context.Background(), p.spec, p.podPath)
}

func (p *netdevPath) detach(int) error {
	return p.host.Detach(context.Background(), p.spec, p.orig, p.podPath)
}
