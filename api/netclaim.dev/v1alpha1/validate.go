package v1alpha1

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidationContext carries the facts about the target device that validation needs.
// Zero values mean "unknown" and skip the checks that need them (offline validation).
type ValidationContext struct {
	// ParentMTU is the largest MTU the pod's interface may get: the MTU of the device it is
	// carved from (for passthrough, what the admin allows the device itself). 0: unknown.
	ParentMTU int
	// Partial says the config is one layer of a merge (a single DeviceClass or
	// ResourceClaim config checked on its own), so fields another layer may still supply
	// are not known. It skips the checks that relate two top-level fields, such as a
	// route's gateway against the addresses, or the MTU against IPv6 addresses: a class may
	// fix the routes while each claim brings its address. Validate the merged config
	// without Partial before acting on it.
	Partial bool
}

// Validate checks one (merged) NetworkConfig. Field paths are relative to the config
// (interface.mtu, routes[0].gateway); callers prefix claim and device. Every error says
// what to change, and names the bad value unless the field is missing. Validate accepts fields this version does not
// implement yet; UnsupportedFields reports those.
func (c *NetworkConfig) Validate(vc ValidationContext) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateInterface(c.Interface, vc, field.NewPath("interface"))...)
	errs = append(errs, validateVLAN(c.VLAN, field.NewPath("vlan"))...)
	addrs, addrErrs := parseAddresses(c.Addresses, field.NewPath("addresses"))
	errs = append(errs, addrErrs...)
	errs = append(errs, validateIPAM(c.IPAM, field.NewPath("ipam"))...)
	errs = append(errs, validateRoutes(c.Routes, field.NewPath("routes"))...)
	errs = append(errs, validateRules(c.Rules, field.NewPath("rules"))...)
	errs = append(errs, validateVRF(c.VRF, field.NewPath("vrf"))...)
	errs = append(errs, validateSRIOV(c.SRIOV, field.NewPath("sriov"))...)
	if !vc.Partial {
		errs = append(errs, c.validateAcrossFields(addrs)...)
	}
	return errs
}

// validateAcrossFields holds the checks that relate two top-level fields; they only make
// sense on the merged config, since class and claim may each set one side.
func (c *NetworkConfig) validateAcrossFields(addrs []parsedAddress) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateMTUForIPv6(c.Interface, addrs, field.NewPath("interface", "mtu"))...)
	// With IPAM the pool supplies addresses this offline check cannot see.
	if c.IPAM == nil {
		errs = append(errs, validateGatewaysReachable(c.Routes, addrs, field.NewPath("routes"))...)
	}
	errs = append(errs, validateVRFNameDistinct(c.VRF, c.Interface, field.NewPath("vrf", "name"))...)
	errs = append(errs, validateModeVLAN(c.Interface, c.VLAN, field.NewPath("vlan"))...)
	return errs
}

// joinMessages joins the messages of k8s.io/apimachinery's validation helpers.
func joinMessages(msgs []string) string {
	return strings.Join(msgs, "; ")
}

// joinList renders values for a message: a, b, c.
func joinList(vals []string) string {
	return strings.Join(vals, ", ")
}
