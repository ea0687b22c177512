package netdev

import (
	"bytes"
	"net"

	"github.com/vishvananda/netlink"
)

// desiredLink is the name, MTU, MAC and admin state a device should have.
// Zero values mean "whatever it has".
type desiredLink struct {
	name  string
	mtu   int
	mac   net.HardwareAddr
	admin adminState
}

// changeFor returns the in-place linkChange that turns link into want,
// listing only what differs, and whether the device must be set down first:
// the kernel refuses to rename an up device (EBUSY), and several NIC drivers
// refuse a MAC change while up.
func changeFor(link netlink.Link, want desiredLink) (ch linkChange, downFirst bool) {
	attrs := link.Attrs()
	ch = linkChange{index: attrs.Index, netnsFd: -1}
	if want.name != "" && want.name != attrs.Name {
		ch.name = want.name
	}
	if want.mtu > 0 && want.mtu != attrs.MTU {
		ch.mtu = want.mtu
	}
	if len(want.mac) > 0 && !bytes.Equal(want.mac, attrs.HardwareAddr) {
		ch.mac = want.mac
	}
	isUp := attrs.Flags&net.FlagUp != 0
	downFirst = isUp && (ch.name != "" || len(ch.mac) > 0)
	switch {
	case want.admin == adminUp && (!isUp || downFirst):
		ch.admin = adminUp
	case want.admin == adminDown && isUp && !downFirst:
		ch.admin = adminDown
	}
	return ch, downFirst
}
