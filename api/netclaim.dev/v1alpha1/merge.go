package v1alpha1

// Merge layers configs in order, later ones overriding earlier ones: DeviceClass configs
// first, then ResourceClaim configs. Within interface, each set field overrides on its own
// (a class fixes the MTU, a claim picks the name); every other top-level field is replaced
// as a whole when a later config sets it (a claim's addresses replace the class's, never
// mix with them). A list set to empty (addresses: []) replaces too, clearing the earlier
// one. Nil configs are skipped; the result shares no pointer or slice with any input.
func Merge(configs ...*NetworkConfig) *NetworkConfig {
	out := &NetworkConfig{}
	out.APIVersion, out.Kind = APIVersion, KindNetworkConfig
	for _, in := range configs {
		if in == nil {
			continue
		}
		c := in.DeepCopy()
		out.Interface = mergeInterface(out.Interface, c.Interface)
		if c.VLAN != nil {
			out.VLAN = c.VLAN
		}
		if c.Addresses != nil {
			out.Addresses = c.Addresses
		}
		if c.IPAM != nil {
			out.IPAM = c.IPAM
		}
		if c.Routes != nil {
			out.Routes = c.Routes
		}
		if c.Rules != nil {
			out.Rules = c.Rules
		}
		if c.VRF != nil {
			out.VRF = c.VRF
		}
		if c.SRIOV != nil {
			out.SRIOV = c.SRIOV
		}
	}
	return out
}

// mergeInterface overlays the set fields of over (already a private copy) on base.
func mergeInterface(base, over *InterfaceConfig) *InterfaceConfig {
	if over == nil {
		return base
	}
	if base == nil {
		return over
	}
	out := *base
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
