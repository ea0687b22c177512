package netdev

import (
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/nlwrap"
	"github.com/netclaim/netclaim/pkg/plan"
)

// AttachRules: the policy-routing rules are in place.
const AttachRules Step = "attach/rules"

// rulesProtocol marks the rules netclaim adds (FRA_PROTOCOL, shown by
// `ip rule` as "proto 110"; no routing daemon has this number in the
// kernel's rtnetlink.h or iproute2's rt_protos). The kernel deletes the first
// rule that matches every selector a delete request names, ignoring the
// ones it leaves out, so without the mark Detach could delete a rule of the
// pod's own that differs from ours only in, say, its input interface.
const rulesProtocol = 110

func parseRules(rules []plan.Rule) ([]netlink.Rule, error) {
	out := make([]netlink.Rule, 0, len(rules))
	for i, r := range rules {
		rule, err := parseRule(r)
		if err != nil {
			return nil, fmt.Errorf("rules[%d]: %w", i, err)
		}
		out = append(out, rule)
	}
	return out, nil
}

func parseRule(r plan.Rule) (netlink.Rule, error) {
	rule := *netlink.NewRule()
	rule.Protocol = rulesProtocol
	if r.Table < 1 {
		return netlink.Rule{}, fmt.Errorf("table %d is not a routing table (at least 1)", r.Table)
	}
	rule.Table = r.Table
	if r.Priority != nil {
		if *r.Priority < 0 {
			return netlink.Rule{}, fmt.Errorf("priority %d is negative", *r.Priority)
		}
		rule.Priority = *r.Priority
	}
	var err error
	if rule.Src, err = parseSelector("from", r.From); err != nil {
		return netlink.Rule{}, err
	}
	if rule.Dst, err = parseSelector("to", r.To); err != nil {
		return netlink.Rule{}, err
	}
	switch {
	case rule.Src == nil && rule.Dst == nil:
		return netlink.Rule{}, fmt.Errorf("needs from, to or both: a rule for all traffic would take over the pod's routing")
	case rule.Src != nil && rule.Dst != nil && familyOf(rule.Src) != familyOf(rule.Dst):
		return netlink.Rule{}, fmt.Errorf("from %s and to %s are of different address families", rule.Src, rule.Dst)
	case rule.Src != nil:
		rule.Family = familyOf(rule.Src)
	default:
		rule.Family = familyOf(rule.Dst)
	}
	return rule, nil
}

func parseSelector(name, s string) (*net.IPNet, error) {
	if s == "" {
		return nil, nil
	}
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, fmt.Errorf("%s %q: not a network in CIDR notation (192.0.2.0/24): %w", name, s, err)
	}
	return n, nil
}

func familyOf(n *net.IPNet) int {
	if n.IP.To4() != nil {
		return netlink.FAMILY_V4
	}
	return netlink.FAMILY_V6
}

// addRules adds each rule that the namespace does not hold yet. The check is
// ours to make: the kernel refuses an exact duplicate, but a rule without a
// priority gets a new one each time, so re-adding it after a crash or a
// repeated hook would stack copies.
func (c *conn) addRules(rules []netlink.Rule) error {
	for _, want := range rules {
		found, err := c.findRules(want)
		if err != nil {
			return err
		}
		if len(found) > 0 {
			continue
		}
		err = c.handle.RuleAdd(&want)
		if errors.Is(err, unix.EEXIST) {
			// The pod has an identical rule of its own (without our
			// mark): it routes the same, and stays the pod's.
			continue
		}
		if err != nil {
			return fmt.Errorf("adding rule %s in netns %s: %w", describeRule(want), c.path, err)
		}
	}
	return nil
}

// removeRules deletes every rule in the namespace that matches one of rules.
func (c *conn) removeRules(rules []netlink.Rule) error {
	for _, want := range rules {
		found, err := c.findRules(want)
		if err != nil {
			return err
		}
		for _, got := range found {
			del := want
			del.Priority = got.Priority
			if err := c.handle.RuleDel(&del); err != nil {
				return fmt.Errorf("deleting rule %s in netns %s: %w", describeRule(del), c.path, err)
			}
		}
	}
	return nil
}

// findRules lists the rules that select what want selects and look up the
// same table; with want.Priority unset (-1) any priority matches.
func (c *conn) findRules(want netlink.Rule) ([]netlink.Rule, error) {
	rules, err := nlwrap.RetryDump("rules in netns "+c.path, func() ([]netlink.Rule, error) {
		return c.handle.RuleList(want.Family)
	})
	if err != nil {
		return nil, fmt.Errorf("listing rules in netns %s: %w", c.path, err)
	}
	return slices.DeleteFunc(rules, func(got netlink.Rule) bool { return !sameRule(want, got) }), nil
}

// sameRule compares the fields parseRule sets; a rule without our mark or
// with any other selector (input interface, firewall mark, ...) is someone
// else's.
func sameRule(want, got netlink.Rule) bool {
	return got.Protocol == want.Protocol && got.Table == want.Table &&
		(want.Priority < 0 || got.Priority == want.Priority) &&
		sameNet(got.Src, want.Src) && sameNet(got.Dst, want.Dst) &&
		got.IifName == "" && got.OifName == "" && got.Mark == 0 && got.Mask == nil && !got.Invert &&
		got.Tos == 0 && got.Goto < 0 && got.Dport == nil && got.Sport == nil && got.IPProto == 0 && got.UIDRange == nil
}

func sameNet(a, b *net.IPNet) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.String() == b.String()
}

func describeRule(r netlink.Rule) string {
	s := "from all"
	if r.Src != nil {
		s = "from " + r.Src.String()
	}
	if r.Dst != nil {
		s += " to " + r.Dst.String()
	}
	s += fmt.Sprintf(" table %d", r.Table)
	if r.Priority >= 0 {
		s = fmt.Sprintf("priority %d %s", r.Priority, s)
	}
	return s
}
