package suite

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"

	"github.com/netclaim/netclaim/pkg/nlwrap"
	"github.com/netclaim/netclaim/test/e2e/e2eutil"
	"github.com/netclaim/netclaim/test/e2e/nodeagent"
)

// nodeNetnsPath is the network namespace cluster-up.sh made for a node (`ip netns add`).
func nodeNetnsPath(node string) string { return filepath.Join("/var/run/netns", node) }

// podNetnsPath is the network namespace the node agent made for a pod. cluster-up.sh
// gives each node's agent the prefix "<node>-pod-" (pod_netns_prefix in scripts/lib.sh).
func podNetnsPath(p *corev1.Pod) string {
	return nodeagent.PodNetnsPath(p.Spec.NodeName+"-pod-", p.UID)
}

// nodeLinks reads the interfaces of every node, keyed by node.
func nodeLinks(t *testing.T, c *cluster) map[string]map[string]e2eutil.Link {
	t.Helper()
	out := map[string]map[string]e2eutil.Link{}
	for _, node := range c.nodes {
		out[node] = e2eutil.MustReadLinks(t, nodeNetnsPath(node))
	}
	return out
}

// routes lists the IPv4 and IPv6 routes of the main table in the namespace at path as
// "destination via gateway dev name" strings.
func routes(t *testing.T, path string) []string {
	t.Helper()
	h, err := e2eutil.NetlinkAt(path)
	if err != nil {
		t.Fatal(err)
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
