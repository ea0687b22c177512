package v1alpha1

// DeepCopy returns a copy of c that shares no pointer or slice with it, so a merged or
// planned config stays as it was when a caller later edits an input.
func (c *NetworkConfig) DeepCopy() *NetworkConfig {
	if c == nil {
		return nil
	}
	out := *c
	out.Interface = c.Interface.deepCopy()
	out.VLAN = c.VLAN.deepCopy()
	out.Addresses = cloneSlice(c.Addresses)
	out.IPAM = clonePtr(c.IPAM)
	out.Routes = cloneSlice(c.Routes)
	for i := range out.Routes {
		out.Routes[i].Table = clonePtr(out.Routes[i].Table)
	}
	out.Rules = cloneSlice(c.Rules)
	for i := range out.Rules {
		out.Rules[i].Priority = clonePtr(out.Rules[i].Priority)
		out.Rules[i].Table = clonePtr(out.Rules[i].Table)
	}
	out.VRF = c.VRF.deepCopy()
	out.SRIOV = c.SRIOV.deepCopy()
	return &out
}

func (ic *InterfaceConfig) deepCopy() *InterfaceConfig {
	if ic == nil {
		return nil
	}
	out := *ic
	out.Name = clonePtr(ic.Name)
	out.MTU = clonePtr(ic.MTU)
	return &out
}

func (v *VLANConfig) deepCopy() *VLANConfig {
	if v == nil {
		return nil
	}
	out := *v
	out.ID = clonePtr(v.ID)
	out.QoS = clonePtr(v.QoS)
	return &out
}

func (v *VRFConfig) deepCopy() *VRFConfig {
	if v == nil {
		return nil
	}
	out := *v
	out.Table = clonePtr(v.Table)
	return &out
}

func (s *SRIOVConfig) deepCopy() *SRIOVConfig {
	if s == nil {
		return nil
	}
	out := *s
	out.SpoofCheck = clonePtr(s.SpoofCheck)
	out.Trust = clonePtr(s.Trust)
	out.MinTxRateMbps = clonePtr(s.MinTxRateMbps)
	out.MaxTxRateMbps = clonePtr(s.MaxTxRateMbps)
	return &out
}

// clonePtr copies the value p points to; p itself must hold no pointers.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// cloneSlice copies s, keeping nil as nil: Merge tells "unset" (nil) from "set to empty".
func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}
