// Package netnstest is the netns test tier's simulated node: real network
// namespaces on the host kernel standing in for a node and its pods, real
// virtual devices (veth, macvlan, bridge) standing in for NICs, and read-back
// of what the kernel holds, so tests assert outcomes rather than calls.
//
// It is test support code, imported only from _test.go files: the unit and
// netns tiers of pkg/netdev and pkg/nri, and the e2e, fault-injection and
// benchmark suites that drive the plugin against simulated nodes.
//
// Everything it creates is removed in t.Cleanup, and New checks at the end of
// the test that the links of the real host namespace are exactly those that
// were there before: no test may touch the machine it runs on. Namespaces are
// created on a dedicated, locked OS thread and addressed through per-namespace
// netlink handles afterwards, so no test goroutine ever runs in another
// namespace.
//
// A typical test:
//
//	tb := netnstest.New(t) // node + pod namespaces; skips unless root
//	tb.AddVethNIC(netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:00:01", MTU: 1500, Up: true})
//	before := tb.State(tb.Node, "nic0")
//	// ... move nic0 into tb.PodPath and back with the code under test ...
//	tb.RequireState(tb.Node, "nic0", before)
//	tb.RequireLinks(tb.Pod, "pod netns", "lo")
//
// Namespaces are bind-mounted under /var/run/netns with names starting with
// NamePrefix, so a crashed run's leftovers are easy to find and remove.
package netnstest
