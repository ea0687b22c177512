package v1alpha1

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ImplementedInterfaceModes are the interface modes this version carries out. The driver
// further checks that the mode suits the allocated device (vlan: a NIC or PF, not a VF).
var ImplementedInterfaceModes = []InterfaceMode{ModePassthrough, ModeVLAN}

// UnsupportedFields returns the paths of the fields c sets that this version decodes but
// does not implement yet: interface.mode macvlan or ipvlan, and ipam. Validate refuses a
// config that sets any of them, rather than let the driver give the pod an interface
// configured only in part.
func (c *NetworkConfig) UnsupportedFields() []string {
	var paths []string
	for _, p := range c.unsupportedPaths() {
		paths = append(paths, p.String())
	}
	return paths
}

// validateImplemented reports each of UnsupportedFields as an error that says what to do.
func (c *NetworkConfig) validateImplemented() field.ErrorList {
	var errs field.ErrorList
	for _, p := range c.unsupportedPaths() {
		detail := "not implemented yet in this version: remove it from the DeviceClass or ResourceClaim config"
		if p.String() == "interface.mode" {
			detail = "not implemented yet in this version: only " + joinModes(ImplementedInterfaceModes) +
				" are; set one of them in the DeviceClass or ResourceClaim config, or omit the field for passthrough"
		}
		errs = append(errs, field.Forbidden(p, detail))
	}
	return errs
}

func (c *NetworkConfig) unsupportedPaths() []*field.Path {
	var paths []*field.Path
	// An unknown mode is validateInterface's to report, as not supported at all.
	if c.Interface != nil && slices.Contains(InterfaceModes, c.Interface.Mode) && !slices.Contains(ImplementedInterfaceModes, c.Interface.Mode) {
		paths = append(paths, field.NewPath("interface", "mode"))
	}
	if c.IPAM != nil {
		paths = append(paths, field.NewPath("ipam"))
	}
	return paths
}

func joinModes(modes []InterfaceMode) string {
	s := make([]string, len(modes))
	for i, m := range modes {
		s[i] = string(m)
	}
	return strings.Join(s, " and ")
}
