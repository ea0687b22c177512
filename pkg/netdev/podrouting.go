package netdev

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/plan"
)

// undoPodRouting removes what Attach added to the pod namespace's routing
// besides the interface itself: the rules, the interface's membership of its
// VRF, and the VRF once no device is enslaved to it. link is the interface in
// the pod namespace, nil when it is gone. Both parts run even if one fails.
//
// Detach runs it before the interface leaves: the namespace outlives the
// interface (a rolled-back attach, a pod whose sandbox is restarted), and
// rules pointing at a table that lost its routes would misroute whatever
// the pod does next.
func (c *conn) undoPodRouting(d plan.Device, link netlink.Link) error {
	rules, err := parseRules(d.Rules)
	if err != nil {
		return err
	}
	vrf, err := parseVRF(d.VRF)
	if err != nil {
		return err
	}
	if err := errors.Join(c.removeRules(rules), c.leaveVRF(link, vrf)); err != nil {
		return fmt.Errorf("undoing the pod's routing in netns %s: %w", c.path, err)
	}
	return nil
}
