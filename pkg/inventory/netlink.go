package inventory

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/nlwrap"
)

// addNetlinkFacts fills the link facts of a live host's interfaces from one netlink dump: a
// single consistent snapshot instead of three file reads per interface racing with changes,
// plus the rtnetlink kind (veth, macvlan, ...), which sysfs does not show.
func addNetlinkFacts(netdevs []*netdev) error {
	h, err := netlink.NewHandle()
	if err != nil {
		return fmt.Errorf("opening a netlink handle: %w", err)
	}
	defer h.Close()
	links, err := nlwrap.RetryDump("links", h.LinkList)
	if err != nil {
		return fmt.Errorf("listing links: %w", err)
	}
	byName := make(map[string]netlink.Link, len(links))
	for _, l := range links {
		byName[l.Attrs().Name] = l
	}
	for _, n := range netdevs {
		l, ok := byName[n.name]
		if !ok {
			// Renamed or deleted since sysfs was listed: what sysfs still says, if anything.
			if err := n.readLinkFacts(); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("interface %s: %w", n.name, err)
			}
			continue
		}
		attrs := l.Attrs()
		n.mac = attrs.HardwareAddr.String()
		n.mtu = attrs.MTU
		n.operState = attrs.OperState.String()
		n.kind = l.Type()
	}
	return nil
}
