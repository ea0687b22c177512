package driver

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/netclaim/netclaim/pkg/plan"
)

// fakeNetdevs stands in for the NetdevKeeper (*netdev.Host): snapshots come from its table by PCI
// address, restores are recorded and fail while err is set; onRestore, when set, runs
// first (a test panics there to stand for a crash before the netdev is restored).
type fakeNetdevs struct {
	mu        sync.Mutex
	snapshots map[string]plan.Original
	restored  []restoreCall
	err       error
	onRestore func()
	// pf holds the PFs' entries for their VFs (fakevf_test.go).
	pf fakePFEntries
}

// restoreCall is one Restore.
type restoreCall struct {
	PCIAddress string
	Want       plan.Original
}

func newFakeNetdevs() *fakeNetdevs {
	return &fakeNetdevs{snapshots: map[string]plan.Original{}, pf: fakePFEntries{entries: map[vfKey]plan.VFSettings{}}}
}

func (f *fakeNetdevs) Snapshot(link plan.HostLink) (plan.Original, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	orig, ok := f.snapshots[link.PCIAddress]
	if !ok || orig.Name != link.Name {
		return plan.Original{}, fmt.Errorf("fake: no netdev %s of %s", link.Name, link.PCIAddress)
	}
	return orig, nil
}

func (f *fakeNetdevs) Restore(_ context.Context, link plan.HostLink, want plan.Original) error {
	f.mu.Lock()
	onRestore := f.onRestore
	f.mu.Unlock()
	if onRestore != nil {
		onRestore()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restored = append(f.restored, restoreCall{link.PCIAddress, want})
	return f.err
}

func (f *fakeNetdevs) takeRestores() []restoreCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := slices.Clone(f.restored)
	f.restored = nil
	return r
}
