package e2eutil

import (
	"fmt"
	"net"
	"slices"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/nlwrap"
)

// Link is an interface as the suites compare it: what attach changes and detach restores.
type Link struct {
	Name string
	MTU  int
	MAC  string
	Up   bool
	// Addrs are the global-scope addresses in CIDR form, sorted. Link-local IPv6
	// addresses come and go with the link state, so they are left out.
	Addrs []string
}

// NetlinkAt opens a netlink handle bound to the network namespace at path, or to the
// host's when path is empty. Reading through a bound handle means no thread ever switches
// namespace. The caller closes the handle.
func NetlinkAt(path string) (*netlink.Handle, error) {
	ns := netns.None()
	if path != "" {
		var err error
		if ns, err = netns.GetFromPath(path); err != nil {
			return nil, fmt.Errorf("opening network namespace %s: %w", path, err)
		}
		// The handle's socket keeps the namespace; the file is no longer needed after.
		defer ns.Close()
	}
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink in %q: %w", path, err)
	}
	return h, nil
}

// ReadLinks reads every interface of the network namespace at path (the host's when path
// is empty), keyed by name.
func ReadLinks(path string) (map[string]Link, error) {
	h, err := NetlinkAt(path)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	list, err := nlwrap.RetryDump("links in "+path, h.LinkList)
	if err != nil {
		return nil, fmt.Errorf("listing links in %q: %w", path, err)
	}
	out := make(map[string]Link, len(list))
	for _, l := range list {
		a := l.Attrs()
		addrs, err := nlwrap.RetryDump("addresses of "+a.Name+" in "+path, func() ([]netlink.Addr, error) { return h.AddrList(l, netlink.FAMILY_ALL) })
		if err != nil {
			return nil, fmt.Errorf("listing addresses of %s in %q: %w", a.Name, path, err)
		}
		out[a.Name] = Link{Name: a.Name, MTU: a.MTU, MAC: a.HardwareAddr.String(), Up: a.Flags&net.FlagUp != 0, Addrs: globalCIDRs(addrs)}
	}
	return out, nil
}

func globalCIDRs(addrs []netlink.Addr) []string {
	var cidrs []string
	for _, addr := range addrs {
		if addr.Scope == unix.RT_SCOPE_UNIVERSE {
			cidrs = append(cidrs, addr.IPNet.String())
		}
	}
	slices.Sort(cidrs)
	return cidrs
}

// MustReadLinks is ReadLinks for a test that cannot go on without the links.
func MustReadLinks(t testing.TB, path string) map[string]Link {
	t.Helper()
	l, err := ReadLinks(path)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
