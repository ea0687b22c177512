package netdev

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/nlwrap"
	"github.com/netclaim/netclaim/pkg/plan"
)

// AttachVRFJoined: the interface is enslaved to its VRF, which is up.
const AttachVRFJoined Step = "attach/vrf-joined"

// vrfPlan is a VRF parsed and checked before anything is touched.
type vrfPlan struct {
	name  string
	table uint32
}

func parseVRF(v *plan.VRF) (*vrfPlan, error) {
	if v == nil {
		return nil, nil
	}
	if err := validateIfName(v.Name); err != nil {
		return nil, fmt.Errorf("VRF name: %w", err)
	}
	if v.Table < 1 {
		return nil, fmt.Errorf("VRF %s: table %d is not a routing table (at least 1)", v.Name, v.Table)
	}
	return &vrfPlan{name: v.Name, table: uint32(v.Table)}, nil
}

func (v *vrfPlan) String() string {
	return fmt.Sprintf("VRF %s (table %d)", v.name, v.table)
}

// isOurs reports whether link is a VRF device with this plan's table.
func (v *vrfPlan) isOurs(link netlink.Link) bool {
	vrf, ok := link.(*netlink.Vrf)
	return ok && vrf.Table == v.table
}

// joinVRF enslaves link to the VRF, creating and raising the VRF first. It
// must run before the addresses are added: enslaving an up device makes the
// kernel cycle it down and up (to move its routes into the VRF table), and
// going down drops its IPv6 addresses.
func (c *conn) joinVRF(link netlink.Link, v *vrfPlan) error {
	if v == nil {
		return nil
	}
	vrf, err := c.ensureVRF(v)
	if err != nil {
		return err
	}
	if link.Attrs().MasterIndex == vrf.Attrs().Index {
		return nil
	}
	if err := c.handle.LinkSetMasterByIndex(link, vrf.Attrs().Index); err != nil {
		return fmt.Errorf("enslaving %s to %s in netns %s: %w", link.Attrs().Name, v, c.path, err)
	}
	return nil
}

// ensureVRF returns the VRF device, created and up. One that exists already
// with the same table is reused: another device of the pod may have created
// it (a DeviceClass puts several interfaces in one VRF), or a crashed attach.
func (c *conn) ensureVRF(v *vrfPlan) (netlink.Link, error) {
	link, err := c.linkByName(v.name)
	switch {
	case errors.Is(err, errNotFound):
		attrs := netlink.NewLinkAttrs()
		attrs.Name = v.name
		if err := c.handle.LinkAdd(&netlink.Vrf{LinkAttrs: attrs, Table: v.table}); err != nil {
			return nil, fmt.Errorf("creating %s in netns %s: %w", v, c.path, err)
		}
		if link, err = c.linkByName(v.name); err != nil {
			return nil, fmt.Errorf("finding %s after creating it: %w", v, err)
		}
	case err != nil:
		return nil, err
	case !v.isOurs(link):
		return nil, fmt.Errorf("creating %s: %w; choose another VRF name or table", v, describeHolder(c, link))
	}
	if link.Attrs().Flags&net.FlagUp == 0 {
		if err := c.handle.LinkSetUp(link); err != nil {
			return nil, fmt.Errorf("setting %s up in netns %s: %w", v, c.path, err)
		}
	}
	return link, nil
}

// describeHolder says what holds a name that a VRF of ours wants.
func describeHolder(c *conn, link netlink.Link) error {
	if vrf, ok := link.(*netlink.Vrf); ok {
		return fmt.Errorf("name %s is already taken in netns %s by a VRF with table %d", vrf.Name, c.path, vrf.Table)
	}
	return checkNameFree(c, link.Attrs().Name)
}

// leaveVRF releases link (when not nil and enslaved to the VRF) and deletes
// the VRF once no device is enslaved to it any more. Releasing before the
// device leaves the namespace keeps the move independent of how the kernel
// unlinks a departing slave.
func (c *conn) leaveVRF(link netlink.Link, v *vrfPlan) error {
	if v == nil {
		return nil
	}
	vrf, err := c.linkByName(v.name)
	if errors.Is(err, errNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !v.isOurs(vrf) {
		return nil // not ours: attach refused to use it
	}
	index := vrf.Attrs().Index
	if link != nil && link.Attrs().MasterIndex == index {
		if err := c.handle.LinkSetNoMaster(link); err != nil {
			return fmt.Errorf("releasing %s from %s in netns %s: %w", link.Attrs().Name, v, c.path, err)
		}
	}
	inUse, err := c.hasSlaves(index)
	if err != nil || inUse {
		return err
	}
	if err := c.handle.LinkDel(vrf); err != nil {
		return fmt.Errorf("deleting %s in netns %s: %w", v, c.path, err)
	}
	return nil
}

func (c *conn) hasSlaves(masterIndex int) (bool, error) {
	links, err := nlwrap.RetryDump("links in netns "+c.path, c.handle.LinkList)
	if err != nil {
		return false, fmt.Errorf("listing links in netns %s: %w", c.path, err)
	}
	for _, l := range links {
		if l.Attrs().MasterIndex == masterIndex {
			return true, nil
		}
	}
	return false, nil
}
