package netdev

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
)

// errNotFound means a lookup found no device with the wanted identity.
var errNotFound = errors.New("device not found")

// identity recognises our device whatever its current name and namespace.
//
// The PCI address comes from netlink itself (IFLA_PARENT_DEV_NAME and
// IFLA_PARENT_DEV_BUS_NAME), not from /sys/class/net/*/device: sysfs shows
// the devices of the namespace that mounted it, netlink those of the socket's
// namespace, so only netlink works for a pod namespace or a test "node"
// namespace.
//
// MAC addresses are a weaker identity: a device may carry its original MAC,
// the MAC the pod asked for (it keeps it when the kernel returns it from a
// destroyed netns) or, for NICs, a permanent MAC that MAC changes leave alone.
type identity struct {
	pciAddress string
	macs       []net.HardwareAddr
}

func newIdentity(ref LinkRef, macs ...net.HardwareAddr) (identity, error) {
	id := identity{pciAddress: strings.ToLower(ref.PCIAddress)}
	if ref.HardwareAddr != "" {
		mac, err := net.ParseMAC(ref.HardwareAddr)
		if err != nil {
			return identity{}, fmt.Errorf("device %s: hardware address %q: %w", ref, ref.HardwareAddr, err)
		}
		id.macs = append(id.macs, mac)
	}
	for _, mac := range macs {
		if len(mac) > 0 {
			id.macs = append(id.macs, mac)
		}
	}
	return id, nil
}

// known reports whether the identity can recognise a device at all; without
// it only names can, which cannot tell our device from an impostor.
func (id identity) known() bool {
	return id.pciAddress != "" || len(id.macs) > 0
}

func (id identity) matches(link netlink.Link) bool {
	attrs := link.Attrs()
	if id.pciAddress != "" {
		return attrs.ParentDevBus == "pci" && strings.EqualFold(attrs.ParentDev, id.pciAddress)
	}
	return slices.ContainsFunc(id.macs, func(mac net.HardwareAddr) bool {
		return bytes.Equal(attrs.HardwareAddr, mac) || bytes.Equal(attrs.PermHWAddr, mac)
	})
}

// find looks the device up in the conn's namespace: first under each of names
// (one cheap RTM_GETLINK each), then, if the identity allows, through a dump
// (the device may have been renamed, e.g. to devN by the kernel). A device
// found under a name but failing the identity check is not ours and is
// skipped. With an unknown identity a name match is trusted.
func (c *conn) find(id identity, names ...string) (netlink.Link, error) {
	for _, name := range names {
		link, err := c.linkByName(name)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !id.known() || id.matches(link) {
			return link, nil
		}
	}
	if !id.known() {
		return nil, errNotFound
	}
	return c.findByIdentity(id)
}

func (c *conn) findByIdentity(id identity) (netlink.Link, error) {
	links, err := retryDump("listing links in netns "+c.path, c.handle.LinkList)
	if err != nil {
		return nil, fmt.Errorf("listing links in netns %s: %w", c.path, err)
	}
	var found []netlink.Link
	for _, link := range links {
		if id.matches(link) {
			found = append(found, link)
		}
	}
	switch len(found) {
	case 0:
		return nil, errNotFound
	case 1:
		return found[0], nil
	default:
		// Several devices share a MAC (VLANs on their parent, bond
		// members): refuse to guess which one to move.
		names := make([]string, len(found))
		for i, link := range found {
			names[i] = link.Attrs().Name
		}
		return nil, fmt.Errorf("devices %s in netns %s all match; give the PCI address or a MAC only one of them has",
			strings.Join(names, ", "), c.path)
	}
}

// linkByName returns errNotFound when no device has the name.
func (c *conn) linkByName(name string) (netlink.Link, error) {
	if name == "" {
		return nil, errNotFound
	}
	link, err := c.handle.LinkByName(name)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("looking up %s in netns %s: %w", name, c.path, err)
	}
	return link, nil
}
