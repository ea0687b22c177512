package v1alpha1

import (
	"fmt"
	"net/netip"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// parsedAddress is one valid entry of addresses, kept with its text for messages.
type parsedAddress struct {
	text   string
	prefix netip.Prefix
}

// parseAddresses validates addresses and returns the valid ones, which the cross-field
// checks (gateway reachability, IPv6 MTU) use.
func parseAddresses(addresses []string, path *field.Path) ([]parsedAddress, field.ErrorList) {
	var (
		errs   field.ErrorList
		parsed []parsedAddress
		seen   = map[netip.Addr]int{}
	)
	for i, s := range addresses {
		p := path.Index(i)
		prefix, err := parseHostPrefix(s)
		if err != nil {
			errs = append(errs, field.Invalid(p, s, err.Error()))
			continue
		}
		if first, dup := seen[prefix.Addr()]; dup {
			e := field.Duplicate(p, s)
			e.Detail = fmt.Sprintf("the address %s is already in addresses[%d]; each address may appear once, whatever its prefix length", prefix.Addr(), first)
			errs = append(errs, e)
			continue
		}
		seen[prefix.Addr()] = i
		parsed = append(parsed, parsedAddress{text: s, prefix: prefix})
	}
	return parsed, errs
}

// parseHostPrefix parses an interface address such as 192.0.2.10/24. netip refuses
// zones and IPv4 octets with leading zeros (which some parsers read as octal).
func parseHostPrefix(s string) (netip.Prefix, error) {
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("must be an address with a prefix length, such as 192.0.2.10/24 or 2001:db8::10/64 (%v)", err)
	}
	if err := checkFamilyUnambiguous(prefix); err != nil {
		return netip.Prefix{}, err
	}
	if why := notUnicastHost(prefix.Addr()); why != "" {
		return netip.Prefix{}, fmt.Errorf("must be a unicast host address: %s is %s", prefix.Addr(), why)
	}
	return prefix, nil
}

// checkFamilyUnambiguous refuses IPv4-mapped IPv6 (::ffff:192.0.2.1): the kernel stores
// it as IPv6, while a reader (and our own family checks) would take it for IPv4.
func checkFamilyUnambiguous(prefix netip.Prefix) error {
	if !prefix.Addr().Is4In6() {
		return nil
	}
	suggestion := prefix.Addr().Unmap().String()
	if bits := prefix.Bits() - 96; bits >= 0 {
		suggestion = fmt.Sprintf("%s/%d", suggestion, bits)
	}
	return fmt.Errorf("must not be an IPv4-mapped IPv6 address: write the IPv4 form %s", suggestion)
}

// notUnicastHost says why addr cannot be an interface's or a gateway's address, or "".
func notUnicastHost(addr netip.Addr) string {
	switch {
	case addr.IsUnspecified():
		return "the unspecified address"
	case addr.IsLoopback():
		return "a loopback address"
	case addr.IsMulticast():
		return "a multicast address"
	case addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the limited broadcast address"
	}
	return ""
}

func validateIPAM(ipam *IPAMConfig, path *field.Path) field.ErrorList {
	if ipam == nil {
		return nil
	}
	p := path.Child("pool")
	if ipam.Pool == "" {
		return field.ErrorList{field.Required(p, "name the IP pool to allocate an address from")}
	}
	if msgs := validation.IsDNS1123Label(ipam.Pool); len(msgs) > 0 {
		return field.ErrorList{field.Invalid(p, ipam.Pool, "must be a pool name: "+joinMessages(msgs))}
	}
	return nil
}
