package nri

import (
	"context"

	"github.com/netclaim/netclaim/pkg/plan"
)

// SnapshotVF reads the PF's entry for a VF that prepare hands to vfio-pci: the values of
// exactly the fields vf sets, for prepare to persist before ApplyVF. It implements
// driver.NetdevKeeper.
func (p *Plugin) SnapshotVF(_ context.Context, vf plan.VFPlan) (plan.VFOriginal, error) {
	s, err := p.cfg.Host.SnapshotVF(*vfSpec(&vf))
	if err != nil {
		return plan.VFOriginal{}, err
	}
	return plan.VFOriginal(toPlanVFSettings(s)), nil
}

// ApplyVF makes vf's settings on its PF, for a VF without a netdev to go with them
// (vfio-pci). A failed setting leaves the PF as it was.
func (p *Plugin) ApplyVF(_ context.Context, vf plan.VFPlan) error {
	return p.cfg.Host.ApplyVFWithoutNetdev(*vfSpec(&vf))
}

// RestoreVF sets the PF's entry for the VF back to orig and reads it back. netdevMAC
// is the VF netdev's MAC before prepare unbound its driver ("" when it had none).
func (p *Plugin) RestoreVF(_ context.Context, vf plan.VFPlan, orig plan.VFOriginal, netdevMAC string) error {
	return p.cfg.Host.RestoreVFWithoutNetdev(*vfSpec(&vf), *toNetdevVFOriginal(&orig), netdevMAC)
}
