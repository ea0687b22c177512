package netdev

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/nlwrap"
	"github.com/netclaim/netclaim/pkg/plan"
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
// MAC addresses are a weaker identity. macs are the ones the device is known
// to have had on the host (the reference's, the snapshot's); hints are MACs
// it may carry now (the pod's MAC, which a VF keeps when the kernel returns
// it from a destroyed netns). For NICs the permanent MAC, which MAC changes
// leave alone, counts too.
type identity struct {
	pciAddress string
	macs       []net.HardwareAddr
	hints      []net.HardwareAddr
}

// newIdentity builds the identity of ref; known lists further MACs the
// device had on the host, hints MACs it may have been given since.
func newIdentity(ref plan.HostLink, known []net.HardwareAddr, hints ...net.HardwareAddr) (identity, error) {
	id := identity{pciAddress: strings.ToLower(ref.PCIAddress)}
	if ref.HardwareAddr != "" {
		mac, err := net.ParseMAC(ref.HardwareAddr)
		if err != nil {
			return identity{}, fmt.Errorf("device %s: hardware address %q: %w", ref, ref.HardwareAddr, err)
		}
		id.macs = append(id.macs, mac)
	}
	id.macs = appendNonEmpty(id.macs, known...)
	id.hints = appendNonEmpty(id.hints, hints...)
	return id, nil
}

func appendNonEmpty(list []net.HardwareAddr, macs ...net.HardwareAddr) []net.HardwareAddr {
	for _, mac := range macs {
		if len(mac) > 0 {
			list = append(list, mac)
		}
	}
	return list
}

// confirms reports whether a device found by name is ours. Without a PCI
// address or a known MAC nothing can contradict the name, so it is trusted.
func (id identity) confirms(link netlink.Link) bool {
	if id.pciAddress == "" && len(id.macs) == 0 {
		return true
	}
	return id.matches(link)
}

// searchable reports whether a device can be found without its name.
func (id identity) searchable() bool {
	return id.pciAddress != "" || len(id.macs) > 0 || len(id.hints) > 0
}

func (id identity) matches(link netlink.Link) bool {
	attrs := link.Attrs()
	if id.pciAddress != "" && attrs.ParentDevBus == "pci" {
		return strings.EqualFold(attrs.ParentDev, id.pciAddress)
	}
	// A device the kernel reports without a PCI parent cannot contradict the PCI address
	// discovery gave: a virtual stand-in described by a synthetic --host-root tree (the
	// simulated nodes), or a driver that does not expose its parent. Fall back to MACs.
	has := func(mac net.HardwareAddr) bool {
		return bytes.Equal(attrs.HardwareAddr, mac) || bytes.Equal(attrs.PermHWAddr, mac)
	}
	return slices.ContainsFunc(id.macs, has) || slices.ContainsFunc(id.hints, has)
}

// find looks the device up in the conn's namespace: first under each of names
// (one cheap RTM_GETLINK each), then, if the identity allows, through a dump
// (the device may have been renamed, e.g. to devN by the kernel). A device
// found under a name that the identity does not confirm is not ours and is
// skipped.
func (c *conn) find(id identity, names ...string) (netlink.Link, error) {
	for _, name := range names {
		link, err := c.linkByName(name)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if id.confirms(link) {
			return link, nil
		}
	}
	if !id.searchable() {
		return nil, errNotFound
	}
	return c.findByIdentity(id)
}

func (c *conn) findByIdentity(id identity) (netlink.Link, error) {
	links, err := nlwrap.RetryDump("links in netns "+c.path, c.handle.LinkList)
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
