package netdev

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// conn is netlink access to one network namespace.
//
// handle serves everything vishvananda/netlink has a call for (lookups,
// addresses, routes). raw is a second NETLINK_ROUTE socket in the same
// namespace for the one request the library cannot build: a single
// RTM_NEWLINK that moves, renames and reconfigures a device at once
// (netlink.Handle keeps its sockets private, so it cannot carry a hand-built
// request). Both sockets are opened inside the namespace by
// netlink.NewHandleAt / nl.GetNetlinkSocketAt, which switch a locked thread
// and switch it back; nothing else here touches thread namespaces.
type conn struct {
	path   string
	ns     netns.NsHandle
	handle *netlink.Handle
	raw    *nl.SocketHandle
}

// openConn opens both sockets in ns. The conn does not own ns.
func openConn(ns netns.NsHandle, path string) (*conn, error) {
	handle, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("opening netlink handle in netns %s: %w", path, err)
	}
	sock, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		handle.Close()
		return nil, fmt.Errorf("opening netlink socket in netns %s: %w", path, err)
	}
	// Extended acks turn a bare EINVAL into the kernel's reason
	// ("Invalid MTU", "Cannot move device ...").
	if err := sock.SetExtAck(true); err != nil {
		handle.Close()
		sock.Close()
		return nil, fmt.Errorf("enabling extended acks in netns %s: %w", path, err)
	}
	return &conn{path: path, ns: ns, handle: handle, raw: &nl.SocketHandle{Socket: sock}}, nil
}

func (c *conn) Close() {
	c.handle.Close()
	c.raw.Close()
}

// openPodConn opens the pod namespace at path and netlink access to it.
func openPodConn(path string) (*conn, error) {
	ns, err := openNetns(path)
	if err != nil {
		return nil, err
	}
	c, err := openConn(ns, path)
	if err != nil {
		return nil, errors.Join(err, ns.Close())
	}
	return c, nil
}

// closePodConn closes a conn opened by openPodConn, namespace handle included.
func closePodConn(c *conn) error {
	c.Close()
	if err := c.ns.Close(); err != nil {
		return fmt.Errorf("closing netns %s: %w", c.path, err)
	}
	return nil
}
