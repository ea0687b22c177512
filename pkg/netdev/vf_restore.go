package netdev

import (
	"bytes"
	"errors"
	"fmt"
	"net"

	"github.com/netclaim/netclaim/pkg/plan"
)

// restoreVFForDetach runs at the start of Detach: the PF's entry for the VF is restored
// before the VF netdev moves back, since the netdev can get its original MAC back only
// once the PF no longer pins ours (see releasesMAC). The returned func, deferred, reads
// the entry back once the netdev is home and joins the outcome with Detach's.
func (h *Host) restoreVFForDetach(d plan.Device, orig plan.Original) func(detachErr error) error {
	if d.VF == nil || orig.VF == nil {
		return func(detachErr error) error { return detachErr }
	}
	vf, vfOrig := *d.VF, plan.VFSettings(*orig.VF)
	netdevMAC, err := parseOptionalMAC(orig.HardwareAddr)
	if err == nil {
		err = h.restoreVF(vf, vfOrig, netdevMAC)
	}
	return func(detachErr error) error {
		if err == nil {
			err = h.verifyVF(vf, vfOrig, netdevMAC)
		}
		if err == nil {
			return detachErr
		}
		err = fmt.Errorf("restoring VF %d on PF %s: %w", vf.Index, vf.PF(), err)
		if errors.Is(detachErr, ErrDeviceGone) {
			// ErrDeviceGone tells callers there is nothing left to restore; the PF's
			// entry still is, so the error must not read as a finished detach.
			return fmt.Errorf("%w; and the VF netdev: %v", err, detachErr)
		}
		return errors.Join(detachErr, err)
	}
}

// restoreVF sets the PF's entry for the VF back to orig, the settings in the reverse of
// the order attach made them, only those that differ. It goes on past failures and
// reports them all: every setting put back is one less left behind.
// netdevMAC is the VF netdev's MAC before attach.
func (h *Host) restoreVF(vf plan.VFPlan, orig plan.VFSettings, netdevMAC net.HardwareAddr) error {
	pf, err := h.readVF(vf)
	if err != nil {
		return err
	}
	want, sets, err := resolveVF(orig, pf.entry)
	if err != nil {
		return fmt.Errorf("VF %d of %s: original settings: %w", vf.Index, pf, err)
	}
	releasing := orig.MAC != "" && releasesMAC(want.mac, netdevMAC)
	pending := pendingVF(sets, want, pf.entry)
	var errs []error
	for i := len(pending) - 1; i >= 0; i-- {
		s := pending[i]
		target := want
		if s == vfMAC && releasing {
			// Already unpinned, or the VF has registered its own MAC again since.
			if bytes.Equal(macOrZero(pf.entry.mac), zeroMAC) {
				continue
			}
			target.mac = zeroMAC
		}
		if err := h.setVF(pf.link, vf.Index, s, target); err != nil {
			errs = append(errs, vfSettingError(pf, vf.Index, s, target, err))
		}
	}
	return errors.Join(errs...)
}

// verifyVF reads the PF's entry back and compares it with orig. For an administrative MAC
// that restoreVF released, the PF reports either none or whatever the VF registered for
// itself since (igb reports the VF netdev's MAC once the VF driver sets it, and nothing
// before): both mean "not pinned", which is what was there before attach.
func (h *Host) verifyVF(vf plan.VFPlan, orig plan.VFSettings, netdevMAC net.HardwareAddr) error {
	pf, err := h.readVF(vf)
	if err != nil {
		return fmt.Errorf("reading back: %w", err)
	}
	return vfMismatch(pf, vf.Index, orig, netdevMAC)
}

// vfMismatch reports every setting of orig the PF's entry does not hold.
func vfMismatch(pf vfPF, index int, orig plan.VFSettings, netdevMAC net.HardwareAddr) error {
	want, sets, err := resolveVF(orig, pf.entry)
	if err != nil {
		return fmt.Errorf("VF %d of %s: original settings: %w", index, pf, err)
	}
	var errs []error
	for _, s := range pendingVF(sets, want, pf.entry) {
		if s == vfMAC && releasesMAC(want.mac, netdevMAC) && unpinned(pf.entry.mac, netdevMAC) {
			continue
		}
		errs = append(errs, fmt.Errorf("%s reads back %s for VF %d after restoring %s",
			pf, describeSetting(s, pf.entry), index, describeSetting(s, want)))
	}
	return errors.Join(errs...)
}

func parseOptionalMAC(s string) (net.HardwareAddr, error) {
	if s == "" {
		return nil, nil
	}
	mac, err := net.ParseMAC(s)
	if err != nil {
		return nil, fmt.Errorf("original hardware address %q: %w", s, err)
	}
	return mac, nil
}

// unpinned says whether a PF's reported MAC for a VF is no administrative one: none, or
// the VF netdev's own.
func unpinned(reported, netdevMAC net.HardwareAddr) bool {
	return bytes.Equal(macOrZero(reported), zeroMAC) || len(netdevMAC) > 0 && bytes.Equal(reported, netdevMAC)
}
