package nri

import (
	"fmt"

	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/plan"
)

// snapshotDevice reads a device's state before attach and, for a VF with settings to
// make on its PF, the PF's entry for it: both are persisted before anything changes.
func (p *Plugin) snapshotDevice(d plan.Device) (netdev.Original, error) {
	spec := attachSpec(d)
	orig, err := p.cfg.Host.Snapshot(spec.Link)
	if err != nil || spec.VF == nil {
		return orig, err
	}
	vf, err := p.cfg.Host.SnapshotVF(*spec.VF)
	if err != nil {
		return netdev.Original{}, fmt.Errorf("reading VF %d's settings on PF %s: %w", d.VF.Index, d.VF.PFName, err)
	}
	orig.VF = &vf
	return orig, nil
}

func vfSpec(v *plan.VFPlan) *netdev.VFSpec {
	if v == nil {
		return nil
	}
	return &netdev.VFSpec{
		PF:       netdev.LinkRef{Name: v.PFName, PCIAddress: v.PFPCIAddress},
		Index:    v.Index,
		Settings: toNetdevVFSettings(v.Settings),
	}
}

func toNetdevVFSettings(s plan.VFSettings) netdev.VFSettings {
	out := netdev.VFSettings{
		MAC:           s.MAC,
		SpoofCheck:    s.SpoofCheck,
		Trust:         s.Trust,
		MinTxRateMbps: s.MinTxRateMbps,
		MaxTxRateMbps: s.MaxTxRateMbps,
		LinkState:     s.LinkState,
	}
	if s.VLAN != nil {
		out.VLAN = &netdev.VFVLAN{ID: s.VLAN.ID, QoS: s.VLAN.QoS, Protocol: s.VLAN.Protocol}
	}
	return out
}

func toPlanVFSettings(s netdev.VFSettings) plan.VFSettings {
	out := plan.VFSettings{
		MAC:           s.MAC,
		SpoofCheck:    s.SpoofCheck,
		Trust:         s.Trust,
		MinTxRateMbps: s.MinTxRateMbps,
		MaxTxRateMbps: s.MaxTxRateMbps,
		LinkState:     s.LinkState,
	}
	if s.VLAN != nil {
		out.VLAN = &plan.VLAN{ID: s.VLAN.ID, QoS: s.VLAN.QoS, Protocol: s.VLAN.Protocol}
	}
	return out
}

func toPlanVFOriginal(s *netdev.VFSettings) *plan.VFOriginal {
	if s == nil {
		return nil
	}
	o := plan.VFOriginal(toPlanVFSettings(*s))
	return &o
}

func toNetdevVFOriginal(o *plan.VFOriginal) *netdev.VFSettings {
	if o == nil {
		return nil
	}
	s := toNetdevVFSettings(plan.VFSettings(*o))
	return &s
}
