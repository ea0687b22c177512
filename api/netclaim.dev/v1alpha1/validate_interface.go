package v1alpha1

import (
	"fmt"
	"net"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	// maxInterfaceNameLen is IFNAMSIZ (16) minus the terminating NUL.
	maxInterfaceNameLen = 15
	// minMTU is ETH_MIN_MTU, the smallest MTU IPv4 allows (RFC 791).
	minMTU = 68
	// maxMTU is ETH_MAX_MTU: the largest MTU an Ethernet device accepts and the largest
	// IPv4 packet (16-bit total length). A veth refuses 65536 with "mtu greater than device
	// maximum"; NICs have lower, driver-specific limits only the device can tell.
	maxMTU = 65535
	// minIPv6MTU is IPV6_MIN_MTU: below it the kernel removes every IPv6 address from the
	// interface, silently (measured on 6.18).
	minIPv6MTU = 1280
)

func validateInterface(ic *InterfaceConfig, vc ValidationContext, path *field.Path) field.ErrorList {
	if ic == nil {
		return nil
	}
	var errs field.ErrorList
	if ic.Name != nil {
		if msg := interfaceNameProblem(*ic.Name); msg != "" {
			errs = append(errs, field.Invalid(path.Child("name"), *ic.Name, msg))
		}
	}
	if ic.MTU != nil {
		errs = append(errs, validateMTU(*ic.MTU, vc.ParentMTU, path.Child("mtu"))...)
	}
	if ic.MAC != "" {
		errs = append(errs, validateMAC(ic.MAC, path.Child("mac"))...)
	}
	if ic.Mode != "" && !slices.Contains(InterfaceModes, ic.Mode) {
		errs = append(errs, field.NotSupported(path.Child("mode"), ic.Mode, InterfaceModes))
	}
	return errs
}

// reservedInterfaceNames are names the kernel accepts in dev_valid_name but that a pod's
// extra interface must never take.
var reservedInterfaceNames = map[string]string{
	"lo":   "is the pod's loopback interface",
	"eth0": "is the pod's primary interface (the cluster network)",
	// devinet_sysctl_register refuses them (sysctl_dev_name_is_allowed): they would clash
	// with /proc/sys/net/ipv4/conf/{all,default}.
	"all":     "is refused by the kernel (it names /proc/sys/net/ipv4/conf/all)",
	"default": "is refused by the kernel (it names /proc/sys/net/ipv4/conf/default)",
}

// interfaceNameProblem returns why name cannot be a netdev name in the pod, or "".
// It applies the kernel's dev_valid_name (not empty, "." or "..", shorter than IFNAMSIZ,
// no '/', ':' or whitespace) and then netclaim's own rules: the reserved names above, no
// '%' (the kernel treats a name with %d as a template and picks a free name, so the pod
// would not get the name asked for), and printable ASCII only. The kernel takes any other
// byte, but a name is shown in logs, claim status and `ip` output, where control bytes and
// look-alike non-ASCII letters mislead.
func interfaceNameProblem(name string) string {
	switch {
	case name == "":
		return "must not be empty: omit the field to get the default name (net1, net2, ...)"
	case len(name) > maxInterfaceNameLen:
		return fmt.Sprintf("must be at most %d bytes (the kernel's IFNAMSIZ), not %d", maxInterfaceNameLen, len(name))
	case name == "." || name == "..":
		return "must not be . or .."
	}
	if why, ok := reservedInterfaceNames[name]; ok {
		return "is reserved: " + name + " " + why + "; pick another name such as net1"
	}
	for i := 0; i < len(name); i++ {
		switch b := name[i]; {
		case b == '/' || b == ':':
			return fmt.Sprintf("must not contain %q", b)
		case b == '%':
			return "must not contain '%': the kernel would treat it as a name template"
		case b == ' ' || (b >= '\t' && b <= '\r'):
			return "must not contain whitespace"
		case b < 0x21 || b > 0x7e:
			return "must contain only printable ASCII characters"
		}
	}
	return ""
}

func validateMTU(mtu int32, parentMTU int, path *field.Path) field.ErrorList {
	switch {
	case mtu < minMTU:
		return field.ErrorList{field.Invalid(path, mtu, fmt.Sprintf("must be at least %d", minMTU))}
	case mtu > maxMTU:
		return field.ErrorList{field.Invalid(path, mtu, fmt.Sprintf("must be at most %d (the largest Ethernet MTU)", maxMTU))}
	case parentMTU > 0 && int(mtu) > parentMTU:
		return field.ErrorList{field.Invalid(path, mtu, fmt.Sprintf("must not exceed the parent device's MTU %d", parentMTU))}
	}
	return nil
}

func validateMTUForIPv6(ic *InterfaceConfig, addrs []parsedAddress, path *field.Path) field.ErrorList {
	if ic == nil || ic.MTU == nil || *ic.MTU >= minIPv6MTU || *ic.MTU < minMTU {
		return nil
	}
	for _, a := range addrs {
		if a.prefix.Addr().Is6() {
			return field.ErrorList{field.Invalid(path, *ic.MTU, fmt.Sprintf(
				"must be at least %d because addresses holds the IPv6 address %s: the kernel removes IPv6 addresses from an interface with a smaller MTU",
				minIPv6MTU, a.text))}
		}
	}
	return nil
}

func validateMAC(mac string, path *field.Path) field.ErrorList {
	hw, err := net.ParseMAC(mac)
	switch {
	case err != nil:
		return field.ErrorList{field.Invalid(path, mac, "must be a MAC address such as 02:00:00:00:00:01")}
	case len(hw) != 6:
		return field.ErrorList{field.Invalid(path, mac, fmt.Sprintf(
			"must be a 6-byte Ethernet address, not %d bytes (InfiniBand addresses cannot be set)", len(hw)))}
	case hw[0]&0x01 != 0:
		return field.ErrorList{field.Invalid(path, mac,
			"must be a unicast address: the lowest bit of the first octet must be 0 (e.g. 02:...)")}
	case isAllZero(hw):
		return field.ErrorList{field.Invalid(path, mac, "must not be all zeros")}
	}
	return nil
}

func isAllZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
