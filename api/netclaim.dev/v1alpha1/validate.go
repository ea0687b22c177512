package v1alpha1

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidationContext carries what validation knows besides the config. The zero value is
// offline validation of a complete, merged config: no device facts, every config-only check.
type ValidationContext struct {
	// ParentMTU is the largest MTU the pod's interface may get: the MTU of the device it is
	// carved from (for passthrough, what the admin allows the device itself). 0: unknown.
	ParentMTU int
	// OnVFIO says the device is bound to vfio-pci already, so the pod gets it without a
	// netdev whatever the config says (only prepare knows; offline it is false). Fields
	// that configure a netdev are then refused as with sriov.driver: vfio-pci.
	OnVFIO bool
	// Partial says the config is one layer of a merge (a single DeviceClass or
	// ResourceClaim config checked on its own): a later layer may still set or replace any
	// top-level field. It skips every check that relates two top-level fields, such as a
	// route's gateway against the addresses, or the MTU against IPv6 addresses: a class may
	// fix the routes while each claim brings its address. Validate the merged config
	// without Partial before acting on it.
	Partial bool
	// WithoutClass says the config merges a claim's configs for one request while its
	// DeviceClass's configs are unknown (a claim checked offline on its own). Claim configs
	// override class ones, so what it sets is final, but the class may still supply what
	// it leaves out: checks that need a field to be present (mode vlan needs vlan, a
	// gateway needs an address) are skipped, checks that two set fields conflict run.
	WithoutClass bool
}

// Validate checks one (merged) NetworkConfig: every rule that needs no device, and, from
// vc, the device facts prepare knows (ParentMTU, OnVFIO). It is the one config validation:
// prepare and `netclaimctl validate` both call it, so they accept and refuse the same
// configs with the same messages. Fields this version decodes but does not implement yet
// are refused here too (UnsupportedFields).
//
// Field paths are relative to the config (interface.mtu, routes[0].gateway); callers
// prefix claim and device, or file and object. Every error says what to change, and names
// the bad value unless the field is missing.
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
	errs = append(errs, c.validateImplemented()...)
	if !vc.Partial {
		errs = append(errs, c.validateAcrossFields(addrs, vc)...)
	}
	return errs
}

// validateAcrossFields holds the checks that relate two top-level fields; they only make
// sense once no later layer can replace either side.
func (c *NetworkConfig) validateAcrossFields(addrs []parsedAddress, vc ValidationContext) field.ErrorList {
	var errs field.ErrorList
	// Conflicts between two set fields: final in a claim without its class too.
	errs = append(errs, validateMTUForIPv6(c.Interface, addrs, field.NewPath("interface", "mtu"))...)
	errs = append(errs, validateVRFNameDistinct(c.VRF, c.Interface, field.NewPath("vrf", "name"))...)
	errs = append(errs, c.validateWithoutNetdev(vc.OnVFIO)...)
	// Requirements: a field another layer may still supply. With IPAM the pool supplies
	// addresses this offline check cannot see.
	if c.IPAM == nil && (!vc.WithoutClass || c.Addresses != nil) {
		errs = append(errs, validateGatewaysReachable(c.Routes, addrs, field.NewPath("routes"))...)
	}
	if !vc.WithoutClass {
		errs = append(errs, validateModeVLAN(c.Interface, c.VLAN, field.NewPath("vlan"))...)
	}
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
