package v1alpha1

// Merge layers configs in order, later ones overriding earlier ones: DeviceClass configs
// first, then ResourceClaim configs. Within interface, each set field overrides on its own
// (a class fixes the MTU, a claim picks the name); every other top-level field is replaced
// as a whole when a later config sets it (a claim's addresses replace the class's, never
// mix with them). Nil configs are skipped; the result never aliases an input's slices.
func Merge(configs ...*NetworkConfig) *NetworkConfig {
	out := &NetworkConfig{}
	out.APIVersion, out.Kind = APIVersion, KindNetworkConfig
	for _, c := range configs {
		if c == nil {
			continue
		}
		out.Interface = mergeInterface(out.Interface, c.Interface)
		if c.VLAN != nil {
			v := *c.VLAN
			out.VLAN = &v
		}
		if c.Addresses != nil {
			out.Addresses = append([]string(nil), c.Addresses...)
		}
		if c.IPAM != nil {
			v := *c.IPAM
			out.IPAM = &v
		}
		if c.Routes != nil {
			out.Routes = append([]RouteConfig(nil), c.Routes...)
		}
		if c.Rules != nil {
			out.Rules = append([]RuleConfig(nil), c.Rules...)
		}
		if c.VRF != nil {
			v := *c.VRF
			out.VRF = &v
		}
		if c.SRIOV != nil {
			v := *c.SRIOV
			out.SRIOV = &v
		}
	}
	return out
}

func mergeInterface(base, over *InterfaceConfig) *InterfaceConfig {
	if over == nil {
		return base
	}
	out := InterfaceConfig{}
	if base != nil {
		out = *base
	}
	if over.Name != nil {
		out.Name = over.Name
	}
	if over.MTU != nil {
		out.MTU = over.MTU
	}
	if over.MAC != "" {
		out.MAC = over.MAC
	}
	if over.Mode != "" {
		out.Mode = over.Mode
	}
	return &out
}
