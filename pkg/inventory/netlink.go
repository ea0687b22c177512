package inventory

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/vishvananda/netlink"
)

// maxDumpAttempts bounds the retries of an interrupted netlink dump. Interruptions happen
// when links change during the dump; on a busy node a few retries always got through.
const maxDumpAttempts = 5

// linkDumper is what listLinks needs of a *netlink.Handle.
type linkDumper interface {
	LinkList() ([]netlink.Link, error)
}

// listLinks dumps the links of the handle's network namespace. When links change during a
// dump the kernel flags it (NLM_F_DUMP_INTR, netlink.ErrDumpInterrupted) and the partial,
// possibly inconsistent result must be discarded and the dump repeated.
func listLinks(h linkDumper) ([]netlink.Link, error) {
	var err error
	for range maxDumpAttempts {
		var links []netlink.Link
		links, err = h.LinkList()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return links, err
		}
	}
	return nil, fmt.Errorf("link dump interrupted %d times in a row: %w", maxDumpAttempts, err)
}

// addNetlinkFacts fills the link facts of a live host's interfaces from one netlink dump: a
// single consistent snapshot instead of three file reads per interface racing with changes,
// plus the rtnetlink kind (veth, macvlan, ...), which sysfs does not show.
func addNetlinkFacts(netdevs []*netdev) error {
	h, err := netlink.NewHandle()
	if err != nil {
		return fmt.Errorf("opening a netlink handle: %w", err)
	}
	defer h.Close()
	links, err := listLinks(h)
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
