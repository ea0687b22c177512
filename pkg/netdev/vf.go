package netdev

import (
	"bytes"
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/plan"
)

// SnapshotVF reads the PF's entry for the VF: the current values of exactly the settings
// vf makes. Call it before Attach and persist the result with Snapshot's: Detach restores
// those values, and only those.
//
// Prepare calls it too, for a VF it hands to vfio-pci, before ApplyVFWithoutNetdev.
func (h *Host) SnapshotVF(vf plan.VFPlan) (plan.VFOriginal, error) {
	if _, _, err := resolveVF(vf.Settings, vfEntry{}); err != nil {
		return plan.VFOriginal{}, fmt.Errorf("snapshot of VF %d of PF %s: %w", vf.Index, vf.PF(), err)
	}
	pf, err := h.readVF(vf)
	if err != nil {
		return plan.VFOriginal{}, fmt.Errorf("snapshot of VF %d: %w", vf.Index, err)
	}
	return plan.VFOriginal(settingsOf(vf.Settings, pf.entry)), nil
}

// applyVFSettings makes d.VF's settings before Attach moves the VF: the VF netdev is
// still on the host then, which the MAC needs (see applyVF). A VF found in the pod
// already (a repeated Attach) only gets what differs on the PF.
func (h *Host) applyVFSettings(d plan.Device, ap attachPlan) error {
	if d.VF == nil {
		return nil
	}
	dev, err := h.find(ap.id, d.Host.Name)
	if errors.Is(err, errNotFound) {
		dev = nil
	} else if err != nil {
		return fmt.Errorf("attaching %s: %w", d.Host, err)
	}
	if err := h.applyVF(*d.VF, dev); err != nil {
		return fmt.Errorf("attaching %s: %w", d.Host, err)
	}
	return nil
}

// applyVF makes vf's settings on its PF, in vfApplyOrder, skipping those already right.
// dev is the VF's netdev in the host netns, nil when it is not there.
//
// If a setting fails, the ones made before it are put back, so the PF is as it was, and
// the error names the setting, its value, the PF and the PF's driver: the drivers differ
// in what they support (igb: no 802.1ad, no minimum rate, no link state).
//
// The administrative MAC goes to the VF netdev first and to the PF second. Once a PF
// pins a MAC, igb and ixgbe refuse an untrusted VF any MAC change (igb even to the same
// address), and a bound VF driver sees the PF's MAC only after a reset; in this order the
// VF registers the MAC itself while it still may, and the PF then pins the same one. The
// move into the pod leaves an unchanged MAC alone, so it does not ask again.
func (h *Host) applyVF(vf plan.VFPlan, dev netlink.Link) error {
	pf, err := h.readVF(vf)
	if err != nil {
		return err
	}
	want, sets, err := resolveVF(vf.Settings, pf.entry)
	if err != nil {
		return fmt.Errorf("VF %d of %s: %w", vf.Index, pf, err)
	}
	undo := vfUndo{pf: pf, index: vf.Index, dev: dev}
	if dev != nil {
		undo.devMAC = dev.Attrs().HardwareAddr
		undo.devUp = dev.Attrs().Flags&net.FlagUp != 0
	}
	for _, s := range pendingVF(sets, want, pf.entry) {
		if s == vfMAC && dev != nil {
			if err := h.setNetdevMAC(dev, want.mac); err != nil {
				err = fmt.Errorf("setting MAC %s on VF netdev %s before the PF pins it: %w", want.mac, dev.Attrs().Name, err)
				return errors.Join(err, h.undoVF(undo))
			}
			undo.devChanged = true
		}
		if err := h.setVF(pf.link, vf.Index, s, want); err != nil {
			return errors.Join(vfSettingError(pf, vf.Index, s, want, err), h.undoVF(undo))
		}
		undo.done = append(undo.done, s)
	}
	return nil
}

// vfUndo is what applyVF changed so far.
type vfUndo struct {
	pf    vfPF
	index int
	done  []vfSetting
	// dev is the VF netdev on the host; devChanged says its MAC was changed from devMAC
	// (and the device set down if devUp).
	dev        netlink.Link
	devMAC     net.HardwareAddr
	devUp      bool
	devChanged bool
}

// undoVF puts back, newest first, what applyVF changed, the PF's MAC before the VF
// netdev's (see releasesMAC). It goes on past failures and reports them all.
func (h *Host) undoVF(u vfUndo) error {
	before := u.pf.entry
	if releasesMAC(before.mac, u.devMAC) {
		before.mac = zeroMAC
	}
	var errs []error
	for i := len(u.done) - 1; i >= 0; i-- {
		s := u.done[i]
		if err := h.setVF(u.pf.link, u.index, s, before); err != nil {
			errs = append(errs, fmt.Errorf("undoing: %w", vfSettingError(u.pf, u.index, s, before, err)))
		}
	}
	if u.devChanged {
		if err := h.restoreNetdevMAC(u.dev, u.devMAC, u.devUp); err != nil {
			errs = append(errs, fmt.Errorf("undoing: restoring MAC %s of VF netdev %s: %w", u.devMAC, u.dev.Attrs().Name, err))
		}
	}
	return errors.Join(errs...)
}

// setNetdevMAC sets a host netdev's MAC, taking the device down first when it is up, as
// Detach does (several drivers refuse a MAC change on an up device). Detach brings it up
// again when it was.
func (h *Host) setNetdevMAC(dev netlink.Link, mac net.HardwareAddr) error {
	if bytes.Equal(dev.Attrs().HardwareAddr, mac) {
		return nil
	}
	ch, downFirst := changeFor(dev, desiredLink{mac: mac})
	if downFirst {
		if err := h.setDown(dev); err != nil {
			return err
		}
	}
	return h.conn.apply(ch)
}

// restoreNetdevMAC gives a host netdev back the MAC and up state it had before
// setNetdevMAC. dev is the link as it was then, so look it up again for its current state.
func (h *Host) restoreNetdevMAC(dev netlink.Link, mac net.HardwareAddr, up bool) error {
	cur, err := h.find(identity{}, dev.Attrs().Name)
	if err != nil {
		return err
	}
	_, err = h.restoreInPlace(cur, desiredLink{mac: mac, admin: adminStateOf(up)}, refuseAll)
	return err
}

// vfSettingError explains a setting the PF refused, with what to do about it.
func vfSettingError(pf vfPF, index int, s vfSetting, e vfEntry, err error) error {
	hint := ""
	switch {
	case errors.Is(err, unix.EOPNOTSUPP):
		hint = ": the PF's driver does not support this setting; remove it from the config, or use VFs of a NIC whose driver does"
	case errors.Is(err, unix.EPROTONOSUPPORT):
		hint = ": the PF's driver does not support this VLAN protocol; use 802.1Q, or VFs of a NIC whose driver supports it"
	case errors.Is(err, unix.EINVAL):
		hint = ": the PF's driver rejects this value; change it (some drivers take no minimum rate, or a maximum only while the PF has a link)"
	}
	return fmt.Errorf("%s refused %s for VF %d: %w%s", pf, describeSetting(s, e), index, err, hint)
}

// changedMAC is want when link does not have it yet, else nil: the move into the pod sets
// a MAC only when it changes it, since a VF driver asks its PF for every change and the
// PF may refuse even the current MAC once it pins one (igb).
func changedMAC(want net.HardwareAddr, link netlink.Link) net.HardwareAddr {
	if bytes.Equal(want, link.Attrs().HardwareAddr) {
		return nil
	}
	return want
}
