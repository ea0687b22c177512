package netnstest

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// LinkState is what tests read back from the kernel about one device.
type LinkState struct {
	Name string
	MTU  int
	MAC  string
	Up   bool
	// Addresses in CIDR form, sorted, without the kernel's own IPv6
	// link-local address; a tentative one (still in duplicate address
	// detection) carries the suffix " tentative".
	Addresses []string
	// Routes through the device in every table, sorted, as "DST[ via
	// GW][ table N]" with DST "default" for a default route; the kernel's
	// own prefix and local routes are left out.
	Routes []string
}

// State reads the device called name in h's namespace.
func (tb *Testbed) State(h *netlink.Handle, name string) LinkState {
	tb.T.Helper()
	link, err := h.LinkByName(name)
	if err != nil {
		tb.T.Fatalf("looking up %s: %v", name, err)
	}
	attrs := link.Attrs()
	st := LinkState{Name: attrs.Name, MTU: attrs.MTU, MAC: attrs.HardwareAddr.String(), Up: attrs.Flags&net.FlagUp != 0}

	addrs, err := RetryDump(func() ([]netlink.Addr, error) { return h.AddrList(link, netlink.FAMILY_ALL) })
	if err != nil {
		tb.T.Fatalf("listing addresses of %s: %v", name, err)
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
	routes, err := RetryDump(func() ([]netlink.Route, error) {
		return h.RouteListFiltered(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_OIF|netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		tb.T.Fatalf("listing routes of %s: %v", name, err)
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

// RequireState reports a test error with a diff when the device called name
// in h's namespace is not in state want.
func (tb *Testbed) RequireState(h *netlink.Handle, name string, want LinkState) {
	tb.T.Helper()
	if diff := cmp.Diff(want, tb.State(h, name)); diff != "" {
		tb.T.Errorf("state of %s (-want +got):\n%s", name, diff)
	}
}

// LinkNames lists the devices in h's namespace, sorted.
func (tb *Testbed) LinkNames(h *netlink.Handle) []string {
	tb.T.Helper()
	names, err := linkNames(h.LinkList)
	if err != nil {
		tb.T.Fatalf("listing links: %v", err)
	}
	return names
}

// RequireLinks reports a test error with a diff when the devices in h's
// namespace are not exactly want; where names the namespace in the message.
func (tb *Testbed) RequireLinks(h *netlink.Handle, where string, want ...string) {
	tb.T.Helper()
	want = slices.Sorted(slices.Values(want))
	if diff := cmp.Diff(want, tb.LinkNames(h)); diff != "" {
		tb.T.Errorf("devices in %s (-want +got):\n%s", where, diff)
	}
}

// linkGoneTimeout bounds WaitLinkGone so a device that never goes away fails
// the test instead of hanging it; it asserts nothing about speed.
const linkGoneTimeout = 30 * time.Second

// WaitLinkGone waits until name disappears from h's namespace: the kernel
// destroys a deleted namespace's devices, and veth peers elsewhere,
// asynchronously (the cleanup_net workqueue).
func (tb *Testbed) WaitLinkGone(h *netlink.Handle, name string) {
	tb.T.Helper()
	deadline := time.Now().Add(linkGoneTimeout)
	for {
		_, err := h.LinkByName(name)
		var notFound netlink.LinkNotFoundError
		if errors.As(err, &notFound) {
			return
		}
		if err != nil {
			tb.T.Fatalf("looking up %s: %v", name, err)
		}
		if time.Now().After(deadline) {
			tb.T.Fatalf("%s still exists %v after its namespace (or its peer's) was deleted", name, linkGoneTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func linkNames(list func() ([]netlink.Link, error)) ([]string, error) {
	links, err := RetryDump(list)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(links))
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	slices.Sort(names)
	return names, nil
}
