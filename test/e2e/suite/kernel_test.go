package suite

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"

	"github.com/netclaim/netclaim/pkg/nlwrap"
	"github.com/netclaim/netclaim/test/e2e/nodeagent"
)

// nodeNetnsPath is the network namespace cluster-up.sh made for a node (`ip netns add`).
func nodeNetnsPath(node string) string { return filepath.Join("/var/run/netns", node) }

// podNetnsPath is the network namespace the node agent made for a pod. cluster-up.sh
// gives each node's agent the prefix "<node>-pod-" (pod_netns_prefix in scripts/lib.sh).
func podNetnsPath(p *corev1.Pod) string {
	return nodeagent.PodNetnsPath(p.Spec.NodeName+"-pod-", p.UID)
}

// link is an interface as the suite compares it: what attach changes and detach restores.
type link struct {
	Name string
	MTU  int
	MAC  string
	Up   bool
	// Addrs are the global-scope addresses in CIDR form, sorted. Link-local IPv6
	// addresses come and go with the link state, so they are left out.
	Addrs []string
}

// links reads every interface of the namespace at path, keyed by name, through a netlink
// handle bound to it (no thread ever switches namespace).
func links(path string) (map[string]link, error) {
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return nil, fmt.Errorf("opening network namespace %s: %w", path, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink in %s: %w", path, err)
	}
	defer h.Close()
	list, err := nlwrap.RetryDump("links in "+path, h.LinkList)
	if err != nil {
		return nil, fmt.Errorf("listing links in %s: %w", path, err)
	}
	out := make(map[string]link, len(list))
	for _, l := range list {
		a := l.Attrs()
		addrs, err := nlwrap.RetryDump("addresses of "+a.Name+" in "+path, func() ([]netlink.Addr, error) { return h.AddrList(l, netlink.FAMILY_ALL) })
		if err != nil {
			return nil, fmt.Errorf("listing addresses of %s in %s: %w", a.Name, path, err)
		}
		var cidrs []string
		for _, addr := range addrs {
			if addr.Scope == unix.RT_SCOPE_UNIVERSE {
				cidrs = append(cidrs, addr.IPNet.String())
			}
		}
		slices.Sort(cidrs)
		out[a.Name] = link{Name: a.Name, MTU: a.MTU, MAC: a.HardwareAddr.String(), Up: a.Flags&net.FlagUp != 0, Addrs: cidrs}
	}
	return out, nil
}

// mustLinks is links for a test that cannot go on without them.
func mustLinks(t *testing.T, path string) map[string]link {
	t.Helper()
	l, err := links(path)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// nodeLinks reads the interfaces of every node, keyed by node.
func nodeLinks(t *testing.T, c *cluster) map[string]map[string]link {
	t.Helper()
	out := map[string]map[string]link{}
	for _, node := range c.nodes {
		out[node] = mustLinks(t, nodeNetnsPath(node))
	}
	return out
}

// routes lists the IPv4 and IPv6 routes of the main table in the namespace at path as
// "destination via gateway dev name" strings.
func routes(t *testing.T, path string) []string {
	t.Helper()
	ns, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatalf("opening network namespace %s: %v", path, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatalf("netlink in %s: %v", path, err)
	}
	defer h.Close()
	list, err := nlwrap.RetryDump("routes in "+path, func() ([]netlink.Route, error) { return h.RouteList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		t.Fatalf("listing routes in %s: %v", path, err)
	}
	var out []string
	for _, r := range list {
		if r.Gw == nil || r.Dst == nil {
			continue
		}
		dev := "?"
		if l, err := h.LinkByIndex(r.LinkIndex); err == nil {
			dev = l.Attrs().Name
		}
		out = append(out, fmt.Sprintf("%s via %s dev %s", r.Dst, r.Gw, dev))
	}
	return out
}
