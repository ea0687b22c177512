package netdev

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// netnsDir is where netns.NewNamed bind-mounts named namespaces.
const netnsDir = "/var/run/netns"

// testbed is a simulated node: a "node" namespace standing in for the host,
// holding the NICs (veths), and a "pod" namespace to attach them to. The
// real host namespace is never touched.
type testbed struct {
	t        testing.TB
	nodePath string
	podPath  string
	node     *netlink.Handle
	pod      *netlink.Handle
	podNs    netns.NsHandle
	host     *Host
}

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and moves devices between them")
	}
}

// newTestbed creates the node and pod namespaces and a Host on the node
// namespace, all removed in t.Cleanup, which also checks that nothing leaked
// into the real host namespace.
func newTestbed(t testing.TB, opts ...Option) *testbed {
	t.Helper()
	requireRoot(t)
	before := hostLinkNames(t)
	t.Cleanup(func() {
		if diff := cmp.Diff(before, hostLinkNames(t)); diff != "" {
			t.Errorf("links of the real host namespace changed (-before +after):\n%s", diff)
		}
	})

	suffix := randomSuffix(t)
	nodeNs, nodePath := newNamedNetns(t, "nc-test-node-"+suffix)
	podNs, podPath := newNamedNetns(t, "nc-test-pod-"+suffix)
	tb := &testbed{
		t:        t,
		nodePath: nodePath,
		podPath:  podPath,
		node:     handleAt(t, nodeNs),
		pod:      handleAt(t, podNs),
		podNs:    podNs,
	}
	host, err := OpenHostAt(nodePath, opts...)
	if err != nil {
		t.Fatalf("OpenHostAt(%s): %v", nodePath, err)
	}
	t.Cleanup(func() {
		if err := host.Close(); err != nil {
			t.Errorf("closing host: %v", err)
		}
	})
	tb.host = host
	return tb
}

func randomSuffix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random suffix: %v", err)
	}
	return hex.EncodeToString(b)
}

// newNamedNetns creates a named namespace on a dedicated locked thread, so
// the test's own threads never change namespace, and deletes it in cleanup.
func newNamedNetns(t testing.TB, name string) (netns.NsHandle, string) {
	t.Helper()
	type result struct {
		ns  netns.NsHandle
		err error
	}
	done := make(chan result)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer orig.Close()
		ns, err := netns.NewNamed(name)
		if restoreErr := netns.Set(orig); restoreErr != nil {
			// Leave the thread locked: the runtime discards it when
			// this goroutine exits, namespace and all.
			done <- result{ns: ns, err: errors.Join(err, restoreErr)}
			return
		}
		runtime.UnlockOSThread()
		done <- result{ns: ns, err: err}
	}()
	r := <-done
	path := filepath.Join(netnsDir, name)
	t.Cleanup(func() {
		if r.ns.IsOpen() {
			// May have been closed by deletePod; a second close of
			// the fd is harmless but reports EBADF.
			_ = r.ns.Close()
		}
		if err := netns.DeleteNamed(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("deleting netns %s: %v", name, err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("netns %s still exists after cleanup (stat: %v)", path, err)
		}
	})
	if r.err != nil {
		t.Fatalf("creating netns %s: %v", name, r.err)
	}
	return r.ns, path
}

func handleAt(t testing.TB, ns netns.NsHandle) *netlink.Handle {
	t.Helper()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatalf("netlink handle: %v", err)
	}
	t.Cleanup(h.Close)
	return h
}

func hostLinkNames(t testing.TB) []string {
	t.Helper()
	links, err := retryDump("host links", netlink.LinkList)
	if err != nil {
		t.Fatalf("listing host links: %v", err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	slices.Sort(names)
	return names
}

// nicSpec describes a veth standing in for a NIC, its peer staying in the
// node namespace.
type nicSpec struct {
	name string
	mac  string
	mtu  int
	up   bool
}

func (tb *testbed) addVethNIC(nic nicSpec) {
	tb.t.Helper()
	veth := &netlink.Veth{
		LinkAttrs: netlink.LinkAttrs{Name: nic.name, MTU: nic.mtu, HardwareAddr: mustMAC(tb.t, nic.mac)},
		PeerName:  nic.name + "p",
	}
	if err := tb.node.LinkAdd(veth); err != nil {
		tb.t.Fatalf("adding veth %s: %v", nic.name, err)
	}
	tb.setAdminState(tb.node, nic.name, nic.up)
}

// addMacvlanNIC adds a macvlan on a veth parent: a virtual device that, like
// a VF, can change namespace while its parent stays on the host.
func (tb *testbed) addMacvlanNIC(nic nicSpec) {
	tb.t.Helper()
	parent := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: nic.name + "par"}, PeerName: nic.name + "parp"}
	if err := tb.node.LinkAdd(parent); err != nil {
		tb.t.Fatalf("adding macvlan parent: %v", err)
	}
	mv := &netlink.Macvlan{
		LinkAttrs: netlink.LinkAttrs{
			Name: nic.name, MTU: nic.mtu, HardwareAddr: mustMAC(tb.t, nic.mac), ParentIndex: parent.Attrs().Index,
		},
		Mode: netlink.MACVLAN_MODE_BRIDGE,
	}
	if err := tb.node.LinkAdd(mv); err != nil {
		tb.t.Fatalf("adding macvlan %s: %v", nic.name, err)
	}
	tb.setAdminState(tb.node, nic.name, nic.up)
}

func (tb *testbed) setAdminState(h *netlink.Handle, name string, up bool) {
	tb.t.Helper()
	link, err := h.LinkByName(name)
	if err != nil {
		tb.t.Fatalf("looking up %s: %v", name, err)
	}
	set := h.LinkSetDown
	if up {
		set = h.LinkSetUp
	}
	if err := set(link); err != nil {
		tb.t.Fatalf("setting %s up=%v: %v", name, up, err)
	}
}

// addBridge creates a bridge called name through h, to occupy a name.
func (tb *testbed) addBridge(h *netlink.Handle, name string) {
	tb.t.Helper()
	if err := h.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}); err != nil {
		tb.t.Fatalf("adding bridge %s: %v", name, err)
	}
}

func (tb *testbed) deleteLink(h *netlink.Handle, name string) {
	tb.t.Helper()
	link, err := h.LinkByName(name)
	if err != nil {
		tb.t.Fatalf("looking up %s: %v", name, err)
	}
	if err := h.LinkDel(link); err != nil {
		tb.t.Fatalf("deleting %s: %v", name, err)
	}
}

// deletePod destroys the pod namespace as a runtime would, dropping every
// reference the test holds so the kernel really tears it down.
func (tb *testbed) deletePod() {
	tb.t.Helper()
	tb.pod.Close()
	if err := tb.podNs.Close(); err != nil {
		tb.t.Fatalf("closing pod netns handle: %v", err)
	}
	tb.podNs = netns.None()
	if err := netns.DeleteNamed(filepath.Base(tb.podPath)); err != nil {
		tb.t.Fatalf("deleting pod netns: %v", err)
	}
}

// waitLinkGone polls until name disappears from h: the kernel destroys a
// dead namespace's devices asynchronously (cleanup_net workqueue).
func (tb *testbed) waitLinkGone(h *netlink.Handle, name string) {
	tb.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := h.LinkByName(name)
		var notFound netlink.LinkNotFoundError
		if errors.As(err, &notFound) {
			return
		}
		if err != nil {
			tb.t.Fatalf("looking up %s: %v", name, err)
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s still exists 30s after its peer's namespace was deleted", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustMAC(t testing.TB, s string) net.HardwareAddr {
	t.Helper()
	if s == "" {
		return nil
	}
	mac, err := net.ParseMAC(s)
	if err != nil {
		t.Fatalf("bad MAC %q: %v", s, err)
	}
	return mac
}

// linkState is what the tests read back from the kernel.
type linkState struct {
	Name      string
	MTU       int
	MAC       string
	Up        bool
	Addresses []string
	Routes    []string
}

// state reads a device back: its addresses without the kernel's own IPv6
// link-local one, and the routes we add (not the kernel's prefix and local
// routes).
func (tb *testbed) state(h *netlink.Handle, name string) linkState {
	tb.t.Helper()
	link, err := h.LinkByName(name)
	if err != nil {
		tb.t.Fatalf("looking up %s: %v", name, err)
	}
	attrs := link.Attrs()
	st := linkState{Name: attrs.Name, MTU: attrs.MTU, MAC: attrs.HardwareAddr.String(), Up: attrs.Flags&net.FlagUp != 0}

	addrs, err := retryDump("addresses", func() ([]netlink.Addr, error) { return h.AddrList(link, netlink.FAMILY_ALL) })
	if err != nil {
		tb.t.Fatalf("listing addresses of %s: %v", name, err)
	}
	for _, a := range addrs {
		if a.IP.IsLinkLocalUnicast() {
			continue
		}
		if a.Flags&unix.IFA_F_TENTATIVE != 0 {
			st.Addresses = append(st.Addresses, a.IPNet.String()+" tentative")
			continue
		}
		st.Addresses = append(st.Addresses, a.IPNet.String())
	}
	slices.Sort(st.Addresses)

	filter := &netlink.Route{LinkIndex: attrs.Index, Table: unix.RT_TABLE_UNSPEC}
	routes, err := retryDump("routes", func() ([]netlink.Route, error) {
		return h.RouteListFiltered(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_OIF|netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		tb.t.Fatalf("listing routes of %s: %v", name, err)
	}
	for _, r := range routes {
		if r.Protocol == unix.RTPROT_KERNEL || r.Table == unix.RT_TABLE_LOCAL {
			continue
		}
		st.Routes = append(st.Routes, routeString(r))
	}
	slices.Sort(st.Routes)
	return st
}

func routeString(r netlink.Route) string {
	dst := "default"
	if r.Dst != nil {
		if ones, _ := r.Dst.Mask.Size(); ones != 0 || !r.Dst.IP.IsUnspecified() {
			dst = r.Dst.String()
		}
	}
	s := dst
	if r.Gw != nil {
		s += " via " + r.Gw.String()
	}
	if r.Table != unix.RT_TABLE_MAIN {
		s += fmt.Sprintf(" table %d", r.Table)
	}
	return s
}

// linkNames lists the devices in h's namespace.
func (tb *testbed) linkNames(h *netlink.Handle) []string {
	tb.t.Helper()
	links, err := retryDump("links", h.LinkList)
	if err != nil {
		tb.t.Fatalf("listing links: %v", err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	slices.Sort(names)
	return names
}

func (tb *testbed) requireState(h *netlink.Handle, name string, want linkState) {
	tb.t.Helper()
	if diff := cmp.Diff(want, tb.state(h, name)); diff != "" {
		tb.t.Errorf("state of %s (-want +got):\n%s", name, diff)
	}
}

func (tb *testbed) requireLinks(h *netlink.Handle, where string, want ...string) {
	tb.t.Helper()
	slices.Sort(want)
	if diff := cmp.Diff(want, tb.linkNames(h)); diff != "" {
		tb.t.Errorf("devices in %s (-want +got):\n%s", where, diff)
	}
}

func requireErrorContains(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}
