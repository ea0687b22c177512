package checkpoint

import "github.com/netclaim/netclaim/pkg/plan"

func cloneVFPlan(v *plan.VFPlan) *plan.VFPlan {
	if v == nil {
		return nil
	}
	out := *v
	out.Settings = cloneVFSettings(v.Settings)
	return &out
}

func cloneVFOriginal(o *plan.VFOriginal) *plan.VFOriginal {
	if o == nil {
		return nil
	}
	out := plan.VFOriginal(cloneVFSettings(plan.VFSettings(*o)))
	return &out
}

func cloneVFSettings(s plan.VFSettings) plan.VFSettings {
	s.VLAN = clonePtr(s.VLAN)
	s.SpoofCheck = clonePtr(s.SpoofCheck)
	s.Trust = clonePtr(s.Trust)
	s.MinTxRateMbps = clonePtr(s.MinTxRateMbps)
	s.MaxTxRateMbps = clonePtr(s.MaxTxRateMbps)
	return s
}
