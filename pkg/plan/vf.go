package plan

// VFPlan names one SR-IOV VF by its PF and index, and the settings to make for it on the
// PF. They are the PF's policy for the VF (the VF's own driver cannot change them), so
// attach sets them through the PF's netdev in the host netns before the VF moves, and
// detach restores the VFOriginal snapshotted before.
type VFPlan struct {
	// PFName is the PF's netdev at prepare time; PFPCIAddress finds it again if renamed.
	PFName       string `json:"pfName"`
	PFPCIAddress string `json:"pfPciAddress,omitempty"`
	// Index is the VF's number on its PF: the N of the PF's virtfnN link and of
	// `ip link set PF vf N`.
	Index    int        `json:"index"`
	Settings VFSettings `json:"settings"`
}

// PF identifies the VF's PF on the host.
func (v VFPlan) PF() HostLink {
	return HostLink{Name: v.PFName, PCIAddress: v.PFPCIAddress}
}

// VFSettings are a PF's settings for one of its VFs. Nil or empty fields are left alone.
type VFSettings struct {
	// MAC is the administrative MAC the PF assigns to (and, with spoof checking, enforces
	// on) the VF.
	MAC string `json:"mac,omitempty"`
	// VLAN is the tag the PF inserts on the VF's traffic and strips from it; ID 0 is
	// untagged.
	VLAN       *VLAN `json:"vlan,omitempty"`
	SpoofCheck *bool `json:"spoofCheck,omitempty"`
	Trust      *bool `json:"trust,omitempty"`
	// MinTxRateMbps and MaxTxRateMbps: 0 means no guarantee and no cap.
	MinTxRateMbps *int `json:"minTxRateMbps,omitempty"`
	MaxTxRateMbps *int `json:"maxTxRateMbps,omitempty"`
	// LinkState is auto, enable or disable.
	LinkState string `json:"linkState,omitempty"`
}

// VFOriginal is the PF's entry for a VF before attach: the values of exactly the fields the
// device's VFPlan sets, so that detach touches nothing else.
type VFOriginal VFSettings
