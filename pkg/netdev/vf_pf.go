package netdev

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/plan"
)

// sysBusDir is where the kernel lists devices by bus. Unlike /sys/class/net it does not
// depend on the network namespace that mounted sysfs, so it finds the PF's driver even
// when the host is not the initial namespace.
var sysBusDir = "/sys/bus"

// vfPF is a PF as read from the host netns, with its entry for one VF.
type vfPF struct {
	link   netlink.Link
	driver string
	entry  vfEntry
}

// name is the PF's netdev name for messages, with its driver.
func (pf vfPF) String() string {
	return fmt.Sprintf("PF %s (driver %s)", pf.link.Attrs().Name, pf.driver)
}

// readVF looks the PF up in the host netns and reads its entry for VF vf.Index.
// netlink's link messages carry the PF's whole VF list (IFLA_VFINFO_LIST, which
// LinkByName asks for with RTEXT_FILTER_VF).
func (h *Host) readVF(vf plan.VFPlan) (vfPF, error) {
	id, err := newIdentity(vf.PF(), nil)
	if err != nil {
		return vfPF{}, err
	}
	link, err := h.find(id, vf.PFName)
	if errors.Is(err, errNotFound) {
		return vfPF{}, fmt.Errorf("PF %s of VF %d: not found in host netns %s", vf.PF(), vf.Index, h.path)
	}
	if err != nil {
		return vfPF{}, fmt.Errorf("PF %s of VF %d: %w", vf.PF(), vf.Index, err)
	}
	pf := vfPF{link: link, driver: parentDriver(link)}
	vfs := link.Attrs().Vfs
	if vf.Index < 0 || vf.Index >= len(vfs) {
		return vfPF{}, fmt.Errorf("%s has %d VFs, so no VF %d: was sriov_numvfs changed since the claim was prepared?",
			pf, len(vfs), vf.Index)
	}
	pf.entry = entryOf(vfs[vf.Index])
	return pf, nil
}

// parentDriver names the driver of the device behind a netdev (igb, mlx5_core,
// netdevsim), read from the bus the kernel reports the device's parent on; "unknown"
// when it has none.
func parentDriver(link netlink.Link) string {
	attrs := link.Attrs()
	if attrs.ParentDevBus == "" || attrs.ParentDev == "" {
		return "unknown"
	}
	target, err := os.Readlink(filepath.Join(sysBusDir, attrs.ParentDevBus, "devices", attrs.ParentDev, "driver"))
	if err != nil {
		return "unknown"
	}
	return filepath.Base(target)
}

// setVF makes one setting of VF index on the PF, taking the value from e.
func (h *Host) setVF(pf netlink.Link, index int, s vfSetting, e vfEntry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	nl := h.conn.handle
	switch s {
	case vfMAC:
		return nl.LinkSetVfHardwareAddr(pf, index, macOrZero(e.mac))
	case vfSpoofCheck:
		return nl.LinkSetVfSpoofchk(pf, index, e.spoofCheck)
	case vfTrust:
		return nl.LinkSetVfTrust(pf, index, e.trust)
	case vfRate:
		return nl.LinkSetVfRate(pf, index, e.minRate, e.maxRate)
	case vfVLAN:
		return nl.LinkSetVfVlanQosProto(pf, index, e.vlan, e.qos, e.vlanProto)
	case vfLinkState:
		return nl.LinkSetVfState(pf, index, e.linkState)
	}
	return fmt.Errorf("unknown VF setting %d", s)
}
