package netdev

import (
	"fmt"

	"github.com/netclaim/netclaim/pkg/plan"
)

// ApplyVFWithoutNetdev makes vf's settings on its PF for a VF that has no netdev in the
// host netns to go with them: one prepare hands to vfio-pci (DPDK), whose kernel driver
// it unbinds. The administrative MAC then goes to the PF only: the userspace driver
// gets it from the PF when it resets the VF. Call SnapshotVF first and persist the
// result. On failure the settings made so far are put back and the error names the
// setting, the PF and its driver.
func (h *Host) ApplyVFWithoutNetdev(vf plan.VFPlan) error {
	if err := h.applyVF(vf, nil); err != nil {
		return fmt.Errorf("setting VF %d on PF %s: %w", vf.Index, vf.PF(), err)
	}
	return nil
}

// RestoreVFWithoutNetdev sets the PF's entry for the VF back to orig (only the settings
// that differ) and reads it back. netdevMAC is the VF netdev's MAC from before its
// driver was unbound, "" when it had none: an original administrative MAC equal to it
// (or none) was only the VF driver's own registration, so it is cleared rather than
// pinned, and the VF driver bound back may register its MAC again.
func (h *Host) RestoreVFWithoutNetdev(vf plan.VFPlan, orig plan.VFOriginal, netdevMAC string) error {
	mac, err := parseOptionalMAC(netdevMAC)
	if err == nil {
		err = h.restoreVF(vf, plan.VFSettings(orig), mac)
	}
	if err == nil {
		err = h.verifyVF(vf, plan.VFSettings(orig), mac)
	}
	if err != nil {
		return fmt.Errorf("restoring VF %d on PF %s: %w", vf.Index, vf.PF(), err)
	}
	return nil
}
