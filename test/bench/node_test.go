package bench

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netclaim/netclaim/test/netnstest"
)

// The interface every method gives the pod: the NIC renamed, with a new MTU, a dual-stack
// address pair and one route via a gateway, up.
const (
	podIfName  = "net1"
	podMTU     = 1400
	hostMTU    = 1500
	podAddr4   = "192.0.2.10/24"
	podAddr6   = "2001:db8::10/64"
	routeDst   = "198.51.100.0/24"
	routeGW    = "192.0.2.1"
	podNetwork = "bench"
)

// podState is what the pod must hold after an attach of nic.
func podState(nic netnstest.NIC) netnstest.LinkState {
	return netnstest.LinkState{
		Name: podIfName, MTU: podMTU, MAC: nic.MAC, Up: true,
		Addresses: []string{podAddr4, podAddr6},
		Routes:    []string{routeDst + " via " + routeGW},
	}
}

// hostState is nic as every attach finds it and every detach must leave it.
func hostState(nic netnstest.NIC) netnstest.LinkState {
	return netnstest.LinkState{Name: nic.Name, MTU: nic.MTU, MAC: nic.MAC, Up: nic.Up}
}

// node is the simulated node all methods share: one node netns holding a veth NIC per
// method (a veth moves between namespaces like a VF: the kernel's cost is the same
// rcu_barrier-bound netns change) and one pod netns they all attach to, one at a time.
type node struct {
	*netnstest.Testbed
}

func newNode(tb testing.TB) *node {
	tb.Helper()
	return &node{Testbed: netnstest.New(tb)}
}

// addNIC creates the NIC of method number i.
func (n *node) addNIC(name string, i int) netnstest.NIC {
	nic := netnstest.NIC{Name: name, MAC: fmt.Sprintf("02:be:00:00:00:%02x", i+1), MTU: hostMTU, Up: true}
	n.AddVethNIC(nic)
	return nic
}

// checkAttached compares the pod with podState. IPv6 duplicate address detection is
// normalised away: netclaim and the floor add the address with IFA_F_NODAD (see
// pkg/netdev/ipconfig.go for why and at what risk), the CNI plugins let the kernel run DAD, and either way the
// address is configured; latency is what this benchmark compares.
func (n *node) checkAttached(nic netnstest.NIC) error {
	got := n.State(n.Pod, podIfName)
	for i, a := range got.Addresses {
		got.Addresses[i] = strings.TrimSuffix(a, " tentative")
	}
	if diff := cmp.Diff(podState(nic), got); diff != "" {
		return fmt.Errorf("%s in the pod after attach (-want +got):\n%s", podIfName, diff)
	}
	if diff := cmp.Diff([]string{"lo", podIfName}, n.LinkNames(n.Pod)); diff != "" {
		return fmt.Errorf("devices in the pod after attach (-want +got):\n%s", diff)
	}
	return nil
}

// checkDetached compares nic on the node with hostState and the pod with an empty one.
// ignoreUp tolerates a NIC left down (the CNI host-device plugin does not restore the
// admin state); the caller sets it up again before the next attach, untimed.
func (n *node) checkDetached(nic netnstest.NIC, ignoreUp bool) error {
	want := hostState(nic)
	got := n.State(n.Node, nic.Name)
	if ignoreUp {
		got.Up = want.Up
	}
	if diff := cmp.Diff(want, got); diff != "" {
		return fmt.Errorf("%s on the node after detach (-want +got):\n%s", nic.Name, diff)
	}
	if diff := cmp.Diff([]string{"lo"}, n.LinkNames(n.Pod)); diff != "" {
		return fmt.Errorf("devices in the pod after detach (-want +got):\n%s", diff)
	}
	return nil
}
