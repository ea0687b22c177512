package driver

import (
	"fmt"
	"slices"

	"github.com/netclaim/netclaim/pkg/plan"
)

// vfKey names one VF entry of a PF.
type vfKey struct {
	PF    string
	Index int
}

// fakePFEntries is the PF side of fakeNetdevs: every VF's entry (defaultVFEntry until
// changed), a log of the keeper's VF calls, and a refusal for ApplyVF.
type fakePFEntries struct {
	entries map[vfKey]plan.VFSettings
	calls   []string
	// applyErr makes ApplyVF fail without changing anything, as netdev's ApplyVF does
	// once it has put back what it made.
	applyErr error
	// onApply runs first in ApplyVF (a test reads the checkpoint there).
	onApply func()
}

// defaultVFEntry is an untouched VF of an igb PF as netlink reports it.
var defaultVFEntry = plan.VFSettings{
	MAC: "00:00:00:00:00:00", VLAN: &plan.VLAN{Protocol: "802.1Q"}, SpoofCheck: ptrTo(true), Trust: ptrTo(false),
	MinTxRateMbps: ptrTo(0), MaxTxRateMbps: ptrTo(0), LinkState: "auto",
}

func (f *fakeNetdevs) entry(vf plan.VFPlan) plan.VFSettings {
	if e, ok := f.pf.entries[vfKey{vf.PFName, vf.Index}]; ok {
		return e
	}
	return defaultVFEntry
}

// only keeps the fields of e that want sets.
func only(want, e plan.VFSettings) plan.VFSettings {
	var out plan.VFSettings
	if want.MAC != "" {
		out.MAC = e.MAC
	}
	if want.VLAN != nil {
		out.VLAN = e.VLAN
	}
	if want.SpoofCheck != nil {
		out.SpoofCheck = e.SpoofCheck
	}
	if want.Trust != nil {
		out.Trust = e.Trust
	}
	if want.MinTxRateMbps != nil {
		out.MinTxRateMbps = e.MinTxRateMbps
	}
	if want.MaxTxRateMbps != nil {
		out.MaxTxRateMbps = e.MaxTxRateMbps
	}
	if want.LinkState != "" {
		out.LinkState = e.LinkState
	}
	return out
}

// merge sets the fields s sets on e.
func merge(e, s plan.VFSettings) plan.VFSettings {
	if s.MAC != "" {
		e.MAC = s.MAC
	}
	if s.VLAN != nil {
		e.VLAN = s.VLAN
	}
	if s.SpoofCheck != nil {
		e.SpoofCheck = s.SpoofCheck
	}
	if s.Trust != nil {
		e.Trust = s.Trust
	}
	if s.MinTxRateMbps != nil {
		e.MinTxRateMbps = s.MinTxRateMbps
	}
	if s.MaxTxRateMbps != nil {
		e.MaxTxRateMbps = s.MaxTxRateMbps
	}
	if s.LinkState != "" {
		e.LinkState = s.LinkState
	}
	return e
}

func (f *fakeNetdevs) SnapshotVF(vf plan.VFPlan) (plan.VFOriginal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pf.calls = append(f.pf.calls, fmt.Sprintf("snapshot %s vf %d", vf.PFName, vf.Index))
	return plan.VFOriginal(only(vf.Settings, f.entry(vf))), nil
}

func (f *fakeNetdevs) ApplyVFWithoutNetdev(vf plan.VFPlan) error {
	f.mu.Lock()
	onApply := f.pf.onApply
	f.mu.Unlock()
	if onApply != nil {
		onApply()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pf.calls = append(f.pf.calls, fmt.Sprintf("apply %s vf %d", vf.PFName, vf.Index))
	if f.pf.applyErr != nil {
		return f.pf.applyErr
	}
	f.pf.entries[vfKey{vf.PFName, vf.Index}] = merge(f.entry(vf), vf.Settings)
	return nil
}

func (f *fakeNetdevs) RestoreVFWithoutNetdev(vf plan.VFPlan, orig plan.VFOriginal, netdevMAC string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pf.calls = append(f.pf.calls, fmt.Sprintf("restore %s vf %d netdev MAC %q", vf.PFName, vf.Index, netdevMAC))
	f.pf.entries[vfKey{vf.PFName, vf.Index}] = merge(f.entry(vf), plan.VFSettings(orig))
	return nil
}

func (f *fakeNetdevs) takeVFCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := slices.Clone(f.pf.calls)
	f.pf.calls = nil
	return c
}

func (f *fakeNetdevs) vfEntry(pf string, index int) plan.VFSettings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.entry(plan.VFPlan{PFName: pf, Index: index})
}
