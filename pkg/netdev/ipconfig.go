package netdev

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/plan"
)

// ipConfig is a plan.Device's addresses and routes, parsed before anything is
// touched so that a bad spec fails without side effects.
type ipConfig struct {
	addresses []*netlink.Addr
	routes    []netlink.Route
}

func parseIPConfig(d plan.Device) (ipConfig, error) {
	var cfg ipConfig
	for i, s := range d.Addresses {
		addr, err := netlink.ParseAddr(s)
		if err != nil {
			return ipConfig{}, fmt.Errorf("addresses[%d] %q: not an address in CIDR notation (10.0.0.5/24, 2001:db8::5/64): %w", i, s, err)
		}
		if addr.IP.To4() == nil {
			// Duplicate address detection is off: it would hold the
			// address "tentative" (unusable for bind) for a second or
			// more after the pod starts. The cost: nothing checks
			// that the address is unique. It is the config's, as the
			// admin or the claim wrote it (there is no IPAM yet), so
			// two pods given the same address both use it and split
			// its traffic, where DAD would have marked the second one
			// "dadfailed" and left it unused. (IPv4 has no DAD.)
			addr.Flags |= unix.IFA_F_NODAD
		}
		cfg.addresses = append(cfg.addresses, addr)
	}
	for i, r := range d.Routes {
		route, err := parseRoute(r)
		if err != nil {
			return ipConfig{}, fmt.Errorf("routes[%d]: %w", i, err)
		}
		cfg.routes = append(cfg.routes, route)
	}
	return cfg, nil
}

func parseRoute(r plan.Route) (netlink.Route, error) {
	var route netlink.Route
	if r.Gateway != "" {
		route.Gw = net.ParseIP(r.Gateway)
		if route.Gw == nil {
			return netlink.Route{}, fmt.Errorf("gateway %q is not an IP address", r.Gateway)
		}
	}
	switch {
	case r.Destination != "":
		_, dst, err := net.ParseCIDR(r.Destination)
		if err != nil {
			return netlink.Route{}, fmt.Errorf("destination %q: not a CIDR (10.1.0.0/16, 0.0.0.0/0): %w", r.Destination, err)
		}
		route.Dst = dst
	case route.Gw != nil:
		route.Dst = defaultDestination(route.Gw)
	default:
		return netlink.Route{}, fmt.Errorf("needs a destination, a gateway or both")
	}
	if route.Gw != nil && (route.Gw.To4() == nil) != (route.Dst.IP.To4() == nil) {
		return netlink.Route{}, fmt.Errorf("gateway %s and destination %s are of different address families", route.Gw, route.Dst)
	}
	if route.Gw == nil {
		// What `ip route add DST dev X` does: a route without a gateway
		// reaches hosts directly on the link.
		route.Scope = netlink.SCOPE_LINK
	}
	if r.Table < 0 {
		return netlink.Route{}, fmt.Errorf("table %d is negative", r.Table)
	}
	route.Table = r.Table
	return route, nil
}

func defaultDestination(gw net.IP) *net.IPNet {
	if gw.To4() != nil {
		return &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}
	}
	return &net.IPNet{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)}
}

// addAddresses uses replace semantics so that repeating an attach tolerates
// addresses already present.
func (c *conn) addAddresses(link netlink.Link, addrs []*netlink.Addr) error {
	for _, addr := range addrs {
		if err := c.handle.AddrReplace(link, addr); err != nil {
			return fmt.Errorf("address %s: %w", addr.IPNet, err)
		}
	}
	return nil
}

// addRoutes must run after the link is up and has its addresses: the kernel
// accepts a route via a gateway only when the gateway is reachable, i.e.
// covered by the prefix route of an address on an up link.
func (c *conn) addRoutes(link netlink.Link, routes []netlink.Route) error {
	for _, route := range routes {
		route.LinkIndex = link.Attrs().Index
		if err := c.handle.RouteReplace(&route); err != nil {
			return fmt.Errorf("route %s: %w", describeRoute(route), err)
		}
	}
	return nil
}

func describeRoute(r netlink.Route) string {
	s := r.Dst.String()
	if r.Gw != nil {
		s += " via " + r.Gw.String()
	}
	if r.Table != 0 {
		s += fmt.Sprintf(" table %d", r.Table)
	}
	return s
}
