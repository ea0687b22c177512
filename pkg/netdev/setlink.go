package netdev

import (
	"net"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// linkChange is one RTM_NEWLINK for an existing device: everything set in it
// is applied by the kernel's do_setlink in a single round trip under one RTNL
// hold.
//
// do_setlink applies the attributes in a fixed order: the netns move first
// (__dev_change_net_namespace, which closes the device), then IFLA_IFNAME
// (renamed in the *target* namespace), IFLA_ADDRESS and IFLA_MTU on the now
// closed device, and the IFF_UP flag change last. So "move + rename + MAC +
// MTU (+ up)" is one message, and the MAC change never meets an up device
// (some drivers refuse it with EBUSY). The tests verify this order on the
// running kernel.
//
// The message is not atomic: if a later attribute fails (say the name is
// taken in the target namespace), the move has already happened. Callers
// check names first and rely on convergence (Attach/Detach find the device
// wherever it ended up) for the rest.
type linkChange struct {
	index int
	// netnsFd, when >= 0, moves the device into that namespace.
	netnsFd int
	name    string
	mtu     int
	mac     net.HardwareAddr
	admin   adminState
}

// adminState is the IFF_UP change a linkChange makes, if any.
type adminState int

const (
	adminKeep adminState = iota
	adminUp
	adminDown
)

func adminStateOf(up bool) adminState {
	if up {
		return adminUp
	}
	return adminDown
}

// empty reports whether the change would change nothing.
func (ch linkChange) empty() bool {
	return ch.netnsFd < 0 && ch.name == "" && ch.mtu == 0 && len(ch.mac) == 0 && ch.admin == adminKeep
}

// apply sends the change on the raw socket of the namespace that currently
// holds the device (the ifindex is resolved there).
func (c *conn) apply(ch linkChange) error {
	raw, err := c.rawSocket()
	if err != nil {
		return err
	}
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	// The socket handle carries its own sequence numbers; the library
	// matches the reply to them.
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: raw}

	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(ch.index)
	switch ch.admin {
	case adminUp:
		msg.Change = unix.IFF_UP
		msg.Flags = unix.IFF_UP
	case adminDown:
		msg.Change = unix.IFF_UP
	}
	req.AddData(msg)
	if ch.netnsFd >= 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(ch.netnsFd))))
	}
	if ch.name != "" {
		req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(ch.name)))
	}
	if ch.mtu > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(ch.mtu))))
	}
	if len(ch.mac) > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_ADDRESS, []byte(ch.mac)))
	}
	_, err = req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}
