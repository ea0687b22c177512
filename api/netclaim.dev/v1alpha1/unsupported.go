package v1alpha1

import "k8s.io/apimachinery/pkg/util/validation/field"

// UnsupportedFields returns the paths of the fields c sets that this version decodes and
// validates but does not implement yet: interface.mode other than passthrough, vlan,
// ipam, rules, vrf and sriov. The driver refuses to prepare a device whose merged config
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
			detail = "not implemented yet in this version: only passthrough is, so set passthrough or omit the field"
		}
		errs = append(errs, field.Forbidden(p, detail))
	}
	return errs
}

func (c *NetworkConfig) unsupportedPaths() []*field.Path {
	var paths []*field.Path
	if c.Interface != nil && c.Interface.Mode != "" && c.Interface.Mode != ModePassthrough {
		paths = append(paths, field.NewPath("interface", "mode"))
	}
	if c.VLAN != nil {
		paths = append(paths, field.NewPath("vlan"))
	}
	if c.IPAM != nil {
		paths = append(paths, field.NewPath("ipam"))
	}
	if len(c.Rules) > 0 {
		paths = append(paths, field.NewPath("rules"))
	}
	if c.VRF != nil {
		paths = append(paths, field.NewPath("vrf"))
	}
	if c.SRIOV != nil {
		paths = append(paths, field.NewPath("sriov"))
	}
	return paths
}
