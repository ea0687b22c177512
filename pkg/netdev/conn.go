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

// openConn opens the handle in ns, and the raw socket too when eagerRaw is set;
// otherwise rawSocket opens it on first use. The conn does not own ns.
func openConn(ns netns.NsHandle, path string, eagerRaw bool) (*conn, error) {
	handle, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("opening netlink handle in netns %s: %w", path, err)
	}
	c := &conn{path: path, ns: ns, handle: handle}
	if eagerRaw {
		if _, err := c.rawSocket(); err != nil {
			handle.Close()
			return nil, err
		}
	}
	return c, nil
}

// rawSocket returns the raw socket, opening it if needed. A pod's conn needs it only to
// converge a device already in the pod (the move itself goes out on the host's socket), so
// a first attach never pays for it: a socket in another namespace costs two setns calls.
// The host's conn opens it eagerly, before the conn is shared.
func (c *conn) rawSocket() (*nl.SocketHandle, error) {
	if c.raw != nil {
		return c.raw, nil
	}
	sock, err := nl.GetNetlinkSocketAt(c.ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("opening netlink socket in netns %s: %w", c.path, err)
	}
	// Extended acks turn a bare EINVAL into the kernel's reason
	// ("Invalid MTU", "Cannot move device ...").
	if err := sock.SetExtAck(true); err != nil {
		sock.Close()
		return nil, fmt.Errorf("enabling extended acks in netns %s: %w", c.path, err)
	}
	c.raw = &nl.SocketHandle{Socket: sock}
	return c.raw, nil
}

func (c *conn) Close() {
	c.handle.Close()
	if c.raw != nil {
		c.raw.Close()
	}
}

// openPodConn opens the pod namespace at path and netlink access to it.
func openPodConn(path string) (*conn, error) {
	ns, err := openNetns(path)
	if err != nil {
		return nil, err
	}
	c, err := openConn(ns, path, false)
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
