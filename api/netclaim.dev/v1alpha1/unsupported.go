package v1alpha1

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ImplementedInterfaceModes are the interface modes this version carries out. The driver
// further checks that the mode suits the allocated device (vlan: a NIC or PF, not a VF).
var ImplementedInterfaceModes = []InterfaceMode{ModePassthrough, ModeVLAN}

func joinModes(modes []InterfaceMode) string {
	s := make([]string, len(modes))
	for i, m := range modes {
		s[i] = string(m)
	}
	return strings.Join(s, " and ")
}

// UnsupportedFields returns the paths of the fields c sets that this version decodes and
// validates but does not implement yet: interface.mode macvlan or ipvlan, and ipam. The driver refuses to prepare a device whose merged config
// sets any of them, rather than give the pod an interface configured only in part.
func (c *NetworkConfig) UnsupportedFields() []string {
	var paths []string
	for _, p := range c.unsupportedPaths() {
		paths = append(paths, p.String())
	}
	return paths
}

// ValidateImplemented reports each of UnsupportedFields as an error that says what to do.
func (c *NetworkConfig) ValidateImplemented() field.ErrorList {
	var errs field.ErrorList
	for _, p := range c.unsupportedPaths() {
		detail := "not implemented yet in this version: remove it"
		if p.String() == "interface.mode" {
			detail = "not implemented yet in this version: only " + joinModes(ImplementedInterfaceModes) + " are, so set one of them or omit the field (passthrough)"
		}
		errs = append(errs, field.Forbidden(p, detail))
	}
	return errs
}

func (c *NetworkConfig) unsupportedPaths() []*field.Path {
	var paths []*field.Path
	if c.Interface != nil && c.Interface.Mode != "" && !slices.Contains(ImplementedInterfaceModes, c.Interface.Mode) {
		paths = append(paths, field.NewPath("interface", "mode"))
	}
	if c.IPAM != nil {
		paths = append(paths, field.NewPath("ipam"))
	}
	return paths
}
