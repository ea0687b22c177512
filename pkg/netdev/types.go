package netdev

import "errors"

// LinkRef says how to find the device on the host. PCIAddress is the most
// reliable identity (it survives renames and netns round trips); HardwareAddr is
// the next best; Name alone cannot tell our device from another one that took
// its name.
type LinkRef struct {
	Name         string
	HardwareAddr string
	PCIAddress   string
}

// String names the device in errors by the most human-friendly field set.
func (r LinkRef) String() string {
	switch {
	case r.Name != "":
		return r.Name
	case r.PCIAddress != "":
		return "pci/" + r.PCIAddress
	case r.HardwareAddr != "":
		return "mac/" + r.HardwareAddr
	default:
		return "<unnamed device>"
	}
}

// Target is what the device looks like inside the pod. Zero values keep the
// device's current setting.
type Target struct {
	Name         string
	MTU          int
	HardwareAddr string
}

// Route is a route through the attached device. An empty Destination is the
// default route of the Gateway's address family. Table 0 is the main table.
type Route struct {
	Destination string
	Gateway     string
	Table       int
}

// AttachSpec is everything Attach needs: which device, what it becomes and
// what to configure on it.
type AttachSpec struct {
	Link      LinkRef
	Target    Target
	Addresses []string
	Routes    []Route
	// VLAN, when set, makes Attach create a VLAN sub-interface of Link in
	// the pod instead of moving Link itself; Link stays on the host (see
	// vlan.go).
	VLAN *VLAN
	// VRF, when set, is created in the pod and the interface enslaved to it
	// (see vrf.go).
	VRF *VRF
	// Rules are policy-routing rules added in the pod after the routes
	// (see rules.go).
	Rules []Rule
	// VF, when set, are settings Attach makes on the VF's PF before the VF
	// moves, and Detach restores (see vf.go).
	VF *VFSpec
}

// Original is the device's state on the host before Attach, as Snapshot read
// it. Detach restores Name, MTU, HardwareAddr and Up.
type Original struct {
	Name         string
	Index        int
	MTU          int
	HardwareAddr string
	Up           bool
	// VF is the PF's entry for the VF before Attach, as SnapshotVF read it:
	// the values of exactly the settings AttachSpec.VF makes.
	VF *VFSettings
}

// ErrDeviceGone reports that Detach found the device neither in the pod netns
// nor on the host. It happens when the pod netns was destroyed before Detach
// and the device was virtual (veth, macvlan, ipvlan, vlan): the kernel deletes
// such devices with their namespace. There is nothing left to restore, so
// callers should treat it as a finished detach, not as a failure that blocks
// cleanup: check with errors.Is(err, ErrDeviceGone).
var ErrDeviceGone = errors.New("device no longer exists")
