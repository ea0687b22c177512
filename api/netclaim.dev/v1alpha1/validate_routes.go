package v1alpha1

import (
	"fmt"
	"net/netip"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	// tableMain is RT_TABLE_MAIN, where a route without a table goes (RTA_TABLE 0 is
	// RT_TABLE_UNSPEC, which the kernel reads as main).
	tableMain = 254
	// tableLocal is RT_TABLE_LOCAL, which the kernel fills with the interface's own and
	// broadcast addresses; routes written there change what the pod counts as local.
	tableLocal = 255
)

// parseNetwork parses a route destination or rule selector such as 198.51.100.0/24.
// Host bits must be clear: the kernel refuses an IPv4 route with host bits set ("Invalid
// prefix for given prefix length") and silently masks an IPv6 one, so accepting them
// would fail late for IPv4 and mislead for IPv6.
func parseNetwork(s string) (netip.Prefix, error) {
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("must be a network in CIDR form, such as 198.51.100.0/24, 0.0.0.0/0 or ::/0 (%v)", err)
	}
	if err := checkFamilyUnambiguous(prefix); err != nil {
		return netip.Prefix{}, err
	}
	if masked := prefix.Masked(); masked != prefix {
		return netip.Prefix{}, fmt.Errorf("has host bits set: write the network address %s", masked)
	}
	return prefix, nil
}

func familyName(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

func validateRoutes(routes []RouteConfig, path *field.Path) field.ErrorList {
	type routeKey struct {
		destination netip.Prefix
		table       int32
	}
	var errs field.ErrorList
	seen := map[routeKey]int{}
	for i, r := range routes {
		p := path.Index(i)
		dst, dstErrs := validateRouteDestination(r.Destination, p.Child("destination"))
		errs = append(errs, dstErrs...)
		errs = append(errs, validateGateway(r.Gateway, dst, p.Child("gateway"))...)
		errs = append(errs, validateRouteTable(r.Table, p.Child("table"))...)
		if !dst.IsValid() {
			continue
		}
		key := routeKey{destination: dst, table: effectiveTable(r.Table)}
		if first, dup := seen[key]; dup {
			e := field.Duplicate(p.Child("destination"), r.Destination)
			e.Detail = fmt.Sprintf("routes[%d] already routes this destination in table %d; the kernel refuses a second route (File exists): merge them or use another table", first, key.table)
			errs = append(errs, e)
			continue
		}
		seen[key] = i
	}
	return errs
}

func effectiveTable(t *int32) int32 {
	if t == nil || *t == 0 {
		return tableMain
	}
	return *t
}

func validateRouteDestination(s string, path *field.Path) (netip.Prefix, field.ErrorList) {
	if s == "" {
		return netip.Prefix{}, field.ErrorList{field.Required(path, "set the destination network; use 0.0.0.0/0 or ::/0 for a default route")}
	}
	dst, err := parseNetwork(s)
	if err != nil {
		return netip.Prefix{}, field.ErrorList{field.Invalid(path, s, err.Error())}
	}
	return dst, nil
}

// validateGateway checks the gateway on its own and against the route's destination;
// reachability from the interface's addresses is a cross-field check
// (validateGatewaysReachable).
func validateGateway(s string, dst netip.Prefix, path *field.Path) field.ErrorList {
	if s == "" {
		return nil
	}
	gw, err := parseGateway(s)
	if err != nil {
		return field.ErrorList{field.Invalid(path, s, err.Error())}
	}
	if dst.IsValid() && gw.Is4() != dst.Addr().Is4() {
		return field.ErrorList{field.Invalid(path, s, fmt.Sprintf(
			"is %s but the destination %s is %s: use a gateway of the destination's family",
			familyName(gw), dst, familyName(dst.Addr())))}
	}
	return nil
}

func parseGateway(s string) (netip.Addr, error) {
	gw, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("must be an IP address such as 192.0.2.1 or 2001:db8::1 (%v)", err)
	}
	if gw.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("must not carry a zone (%%%s): the route already goes out of this interface", gw.Zone())
	}
	if gw.Is4In6() {
		return netip.Addr{}, fmt.Errorf("must not be an IPv4-mapped IPv6 address: write the IPv4 form %s", gw.Unmap())
	}
	if why := notUnicastHost(gw); why != "" {
		return netip.Addr{}, fmt.Errorf("must be a unicast address: %s is %s", gw, why)
	}
	return gw, nil
}

func validateRouteTable(t *int32, path *field.Path) field.ErrorList {
	switch {
	case t == nil:
		return nil
	case *t < 0:
		return field.ErrorList{field.Invalid(path, *t, "must not be negative; omit it for the main table")}
	case *t == tableLocal:
		return field.ErrorList{field.Invalid(path, *t, "is the kernel's local table: omit it for main (254) or use a table of your own, e.g. 100")}
	}
	return nil
}

// validateGatewaysReachable checks that each gateway lies inside the prefix of one of the
// interface's addresses of its family: otherwise the kernel refuses the route (IPv4:
// "Nexthop has invalid gateway"). An IPv6 link-local gateway is always reachable, through
// the fe80:: address the kernel gives every IPv6 interface.
func validateGatewaysReachable(routes []RouteConfig, addrs []parsedAddress, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, r := range routes {
		if r.Gateway == "" {
			continue
		}
		gw, err := parseGateway(r.Gateway)
		if err != nil || (gw.Is6() && gw.IsLinkLocalUnicast()) {
			continue // an unparsable gateway is reported by validateGateway
		}
		if msg := gatewayReachProblem(gw, addrs); msg != "" {
			errs = append(errs, field.Invalid(path.Index(i).Child("gateway"), r.Gateway, msg))
		}
	}
	return errs
}

func gatewayReachProblem(gw netip.Addr, addrs []parsedAddress) string {
	var sameFamily []string
	for _, a := range addrs {
		if a.prefix.Addr().Is4() != gw.Is4() {
			continue
		}
		if a.prefix.Addr() == gw {
			return fmt.Sprintf("is this interface's own address (%s): use the router's address", a.text)
		}
		if a.prefix.Contains(gw) {
			return ""
		}
		sameFamily = append(sameFamily, a.text)
	}
	if len(sameFamily) == 0 {
		return fmt.Sprintf("gateway not reachable from an address of the same family: addresses has no %s address; add one in the gateway's subnet", familyName(gw))
	}
	return fmt.Sprintf("gateway not reachable: it is outside every %s prefix in addresses (%s); use a gateway inside one of them",
		familyName(gw), joinList(sameFamily))
}

func validateRules(rules []RuleConfig, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, r := range rules {
		p := path.Index(i)
		if r.Priority != nil && *r.Priority < 0 {
			errs = append(errs, field.Invalid(p.Child("priority"), *r.Priority, "must not be negative; omit it to let the kernel choose"))
		}
		if r.From == "" && r.To == "" {
			errs = append(errs, field.Required(p.Child("from"), "set from, to or both: a rule matching all traffic would take over the pod's routing"))
		}
		from, fromErrs := validateRuleSelector(r.From, p.Child("from"))
		to, toErrs := validateRuleSelector(r.To, p.Child("to"))
		errs = append(errs, fromErrs...)
		errs = append(errs, toErrs...)
		if from.IsValid() && to.IsValid() && from.Addr().Is4() != to.Addr().Is4() {
			errs = append(errs, field.Invalid(p.Child("to"), r.To, fmt.Sprintf(
				"is %s but from %s is %s: a rule matches one family; write two rules",
				familyName(to.Addr()), r.From, familyName(from.Addr()))))
		}
		errs = append(errs, validateRuleTable(r.Table, p.Child("table"))...)
	}
	return errs
}

func validateRuleSelector(s string, path *field.Path) (netip.Prefix, field.ErrorList) {
	if s == "" {
		return netip.Prefix{}, nil
	}
	prefix, err := parseNetwork(s)
	if err != nil {
		return netip.Prefix{}, field.ErrorList{field.Invalid(path, s, err.Error())}
	}
	return prefix, nil
}

// validateRuleTable requires a real table: the kernel accepts a rule with table 0, but it
// looks up nothing useful.
func validateRuleTable(t *int32, path *field.Path) field.ErrorList {
	switch {
	case t == nil:
		return field.ErrorList{field.Required(path, "name the routing table to look up, e.g. 100")}
	case *t < 1:
		return field.ErrorList{field.Invalid(path, *t, "must be at least 1 (254 is main)")}
	}
	return nil
}
