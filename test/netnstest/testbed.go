package netnstest

import (
	"os"
	"testing"

	"github.com/vishvananda/netlink"
)

// RequireRoot skips the test unless it runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and moves devices between them")
	}
}

// Testbed is a simulated node: a "node" namespace standing in for the host,
// holding the NICs, and a "pod" namespace to attach them to. The real host
// namespace is never touched.
//
// NodePath, PodPath, Node and Pod are shortcuts into NodeNetns and PodNetns.
type Testbed struct {
	T         testing.TB
	NodeNetns *Netns
	PodNetns  *Netns

	NodePath string
	PodPath  string
	// Node and Pod are netlink handles inside the namespaces.
	Node *netlink.Handle
	Pod  *netlink.Handle
}

// New creates the node and pod namespaces, all removed in t.Cleanup, which
// also checks that nothing leaked into the real host namespace. It skips the
// test unless it runs as root.
func New(t testing.TB) *Testbed {
	t.Helper()
	RequireRoot(t)
	RequireHostLinksUnchanged(t)
	suffix := RandomSuffix(t)
	node := NewNamedNetns(t, NamePrefix+"node-"+suffix)
	pod := NewNamedNetns(t, NamePrefix+"pod-"+suffix)
	return &Testbed{
		T:         t,
		NodeNetns: node,
		PodNetns:  pod,
		NodePath:  node.Path,
		PodPath:   pod.Path,
		Node:      node.Handle,
		Pod:       pod.Handle,
	}
}

// DeletePod destroys the pod namespace as a runtime would. Pod must not be
// used afterwards.
func (tb *Testbed) DeletePod() {
	tb.T.Helper()
	tb.PodNetns.Delete()
}
