package netdev

// VFSpec names an SR-IOV virtual function by its PF and index, and the settings to make
// for it on the PF. They are the PF's policy for the VF, set through the PF's netdev in
// the host netns (what `ip link set PF vf N ...` does); the VF's own driver cannot change
// them, and they stay on the PF while the VF's netdev is in a pod.
type VFSpec struct {
	// PF is the physical function's netdev: Name, and PCIAddress to find it if renamed.
	PF LinkRef
	// Index is the VF's number on the PF (the N of virtfnN).
	Index    int
	Settings VFSettings
}

// VFSettings are a PF's settings for one VF. Nil or empty fields are left alone. The same
// type holds the values snapshotted before attach, for exactly the fields a spec sets.
type VFSettings struct {
	// MAC is the VF's administrative MAC. "00:00:00:00:00:00" means none.
	MAC string
	// VLAN is the tag the PF inserts and strips; ID 0 is untagged.
	VLAN       *VFVLAN
	SpoofCheck *bool
	Trust      *bool
	// MinTxRateMbps and MaxTxRateMbps: 0 means no guarantee and no cap.
	MinTxRateMbps *int
	MaxTxRateMbps *int
	// LinkState is one of the VFLinkState* values.
	LinkState string
}

// VFVLAN is a VF's hardware VLAN. Protocol is VLANProtocol8021Q (the default when empty)
// or VLANProtocol8021AD.
type VFVLAN struct {
	ID       int
	QoS      int
	Protocol string
}

// VF VLAN protocols.
const (
	VLANProtocol8021Q  = "802.1Q"
	VLANProtocol8021AD = "802.1ad"
)

// VF link states: auto follows the PF's link, enable and disable force the VF's.
const (
	VFLinkStateAuto    = "auto"
	VFLinkStateEnable  = "enable"
	VFLinkStateDisable = "disable"
)
