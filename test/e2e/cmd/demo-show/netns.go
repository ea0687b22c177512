package main

import (
	"fmt"
	"net"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/nlwrap"
)

// linkView is one interface inside a pod.
type linkView struct {
	name  string
	mtu   int
	mac   string
	up    bool
	addrs []string
}

// readNetns reads the interfaces and gateway routes of the namespace at path through a
// netlink handle bound to it; this process never enters the namespace.
func readNetns(path string) ([]linkView, []string, error) {
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return nil, nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, nil, fmt.Errorf("netlink in %s: %w", path, err)
	}
	defer h.Close()
	links, err := nlwrap.RetryDump("links in "+path, h.LinkList)
	if err != nil {
		return nil, nil, fmt.Errorf("listing links in %s: %w", path, err)
	}
	var out []linkView
	names := map[int]string{}
	for _, l := range links {
		a := l.Attrs()
		names[a.Index] = a.Name
		if a.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := nlwrap.RetryDump("addresses of "+a.Name+" in "+path, func() ([]netlink.Addr, error) { return h.AddrList(l, netlink.FAMILY_ALL) })
		if err != nil {
			return nil, nil, fmt.Errorf("listing addresses of %s in %s: %w", a.Name, path, err)
		}
		lv := linkView{name: a.Name, mtu: a.MTU, mac: a.HardwareAddr.String(), up: a.Flags&net.FlagUp != 0}
		for _, ad := range addrs {
			lv.addrs = append(lv.addrs, ad.IPNet.String())
		}
		out = append(out, lv)
	}
	routes, err := nlwrap.RetryDump("routes in "+path, func() ([]netlink.Route, error) { return h.RouteList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, nil, fmt.Errorf("listing routes in %s: %w", path, err)
	}
	var rs []string
	for _, r := range routes {
		if r.Gw != nil && r.Dst != nil {
			rs = append(rs, fmt.Sprintf("%s via %s dev %s", r.Dst, r.Gw, names[r.LinkIndex]))
		}
	}
	return out, rs, nil
}

func (l linkView) String() string {
	state := "down"
	if l.up {
		state = "up"
	}
	addrs := "no addresses"
	if len(l.addrs) > 0 {
		addrs = strings.Join(l.addrs, " ")
	}
	return fmt.Sprintf("%-8s mtu %-5d mac %s %-4s %s", l.name, l.mtu, l.mac, state, addrs)
}
