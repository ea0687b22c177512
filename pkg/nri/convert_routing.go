package nri

import (
	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/plan"
)

// addVLANAndPolicyRouting translates the plan's sub-interface (mode vlan only: any other
// VLAN in a plan is not a sub-interface), VRF and rules into netdev's values.
func addVLANAndPolicyRouting(spec *netdev.AttachSpec, d plan.Device) {
	if d.Mode == plan.ModeVLAN && d.VLAN != nil {
		spec.VLAN = &netdev.VLAN{ID: d.VLAN.ID, QoS: d.VLAN.QoS, Protocol: d.VLAN.Protocol}
	}
	if d.VRF != nil {
		spec.VRF = &netdev.VRF{Name: d.VRF.Name, Table: d.VRF.Table}
	}
	for _, r := range d.Rules {
		rule := netdev.Rule{From: r.From, To: r.To, Table: r.Table}
		if r.Priority != nil {
			p := *r.Priority
			rule.Priority = &p
		}
		spec.Rules = append(spec.Rules, rule)
	}
}
