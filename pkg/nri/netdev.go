package nri

import (
	"context"
	"fmt"

	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/plan"
)

// SnapshotNetdev reads the host state of a PCI device's netdev, for prepare to record
// before it rebinds the device's driver (sriov.driver: vfio-pci): the unbind destroys
// the netdev. It implements driver.NetdevKeeper.
func (p *Plugin) SnapshotNetdev(_ context.Context, pciAddress, name string) (plan.Original, error) {
	orig, err := p.cfg.Host.Snapshot(netdev.LinkRef{Name: name, PCIAddress: pciAddress})
	if err != nil {
		return plan.Original{}, fmt.Errorf("reading the netdev of PCI device %s: %w", pciAddress, err)
	}
	return toPlanOriginal(orig), nil
}

// RestoreNetdev gives the netdev that binding a device's driver back created the state
// SnapshotNetdev recorded. It finds the netdev by PCI address only: it has neither the
// old name nor the old MAC.
func (p *Plugin) RestoreNetdev(ctx context.Context, pciAddress string, want plan.Original) error {
	return p.cfg.Host.Restore(ctx, netdev.LinkRef{PCIAddress: pciAddress}, toNetdevOriginal(want))
}
