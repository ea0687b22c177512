// Package plan is the contract between prepare and attach.
//
// NodePrepareResources runs before the pod sandbox and its network namespace exist, so it
// decides everything (validated config, the interface name in the pod, addresses, routes)
// and records it here. The NRI RunPodSandbox hook executes a plan without going back to the
// API server and without re-validating: whatever is in a Plan was already accepted.
// The checkpoint persists Plans, together with the Original state snapshotted at attach, so
// a restarted plugin can still restore a device exactly.
package plan

// Version is bumped when a Plan's persisted form changes incompatibly. Dropping a field is
// compatible: decoding ignores fields it does not know, so a checkpoint that still has
// fields this build removed (podName, podNamespace, host.mtu, originals[].index: nothing
// read them) loads unchanged, and an older build reads their absence as empty.
const Version = "v1"

// Claim is everything prepare decided for one ResourceClaim on this node.
type Claim struct {
	UID       string `json:"uid"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// PodUID is the one pod the claim is reserved for; attach matches sandboxes by it.
	PodUID string `json:"podUID"`
	// Devices in allocation order.
	Devices []Device `json:"devices"`
	// CDIDeviceIDs returned to kubelet (fully qualified, vendor/class=name).
	CDIDeviceIDs []string `json:"cdiDeviceIDs,omitempty"`
	// Attachment is set once RunPodSandbox has moved the devices, cleared on detach.
	Attachment *Attachment `json:"attachment,omitempty"`
}

// Device is the plan for one allocated device.
type Device struct {
	// Request is the claim request (without subrequest) this device satisfies.
	Request string `json:"request"`
	// Pool and Device name the published device.
	Pool   string `json:"pool"`
	Device string `json:"device"`
	// Host identifies the netdev on the host at prepare time.
	Host HostLink `json:"host"`
	// Target is what the interface looks like in the pod.
	Target Interface `json:"target"`
	// Addresses in CIDR form, assigned in order.
	Addresses []string `json:"addresses,omitempty"`
	// Routes added after the interface is up.
	Routes []Route `json:"routes,omitempty"`
	// Mode is how the pod's interface derives from the device: "" or ModePassthrough
	// moves the device itself into the pod; ModeVLAN creates an 802.1Q/802.1ad
	// sub-interface of it there (VLAN says which), and the device stays on the host.
	Mode string `json:"mode,omitempty"`
	// VLAN is the sub-interface's tag in ModeVLAN.
	VLAN *VLAN `json:"vlan,omitempty"`
	// VRF, when set, is created in the pod's netns and the interface enslaved to it.
	VRF *VRF `json:"vrf,omitempty"`
	// Rules are policy-routing rules added in the pod's netns after the routes.
	Rules []Rule `json:"rules,omitempty"`
	// VF, for an SR-IOV VF with settings to make on its PF (hardware VLAN, admin MAC,
	// spoof check, trust, rates, link state), says which VF of which PF and what to set.
	VF *VFPlan `json:"vf,omitempty"`
	// VFIO, when set, hands the device to the pod as a vfio-pci device (DPDK) instead of a
	// netdev: it has none, so attach and detach leave it alone (see vfio.go).
	VFIO *VFIO `json:"vfio,omitempty"`
	// RDMA, when set, lists the RDMA devices of the netdev and the character devices the
	// containers get with it (see vfio.go).
	RDMA *RDMA `json:"rdma,omitempty"`
}

// Interface modes a plan carries out.
const (
	ModePassthrough = "passthrough"
	ModeVLAN        = "vlan"
)

// VLAN is a VLAN tag: the ID, the 802.1p priority (QoS) and the protocol, VLANProtocol8021Q
// (also when empty) or VLANProtocol8021AD, as the API spells them.
type VLAN struct {
	ID       int    `json:"id"`
	QoS      int    `json:"qos,omitempty"`
	Protocol string `json:"protocol,omitempty"`
}

// VLAN protocols.
const (
	VLANProtocol8021Q  = "802.1Q"
	VLANProtocol8021AD = "802.1ad"
)

// VRF is a VRF device in the pod's netns and its routing table.
type VRF struct {
	Name  string `json:"name"`
	Table int    `json:"table"`
}

// Rule is one policy-routing rule in the pod's netns. Priority nil lets the kernel choose;
// From and To are networks in CIDR form, either may be empty.
type Rule struct {
	Priority *int   `json:"priority,omitempty"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	Table    int    `json:"table"`
}

// HostLink identifies a netdev on the host. Name is the primary key; PCIAddress and
// HardwareAddr find the device again when the kernel renamed it (a physical device
// returned from a destroyed netns comes back as devN when its name is taken).
type HostLink struct {
	Name         string `json:"name"`
	PCIAddress   string `json:"pciAddress,omitempty"`
	HardwareAddr string `json:"hardwareAddr,omitempty"`
}

// String names the link in messages by the most human-friendly field set.
func (l HostLink) String() string {
	switch {
	case l.Name != "":
		return l.Name
	case l.PCIAddress != "":
		return "pci/" + l.PCIAddress
	case l.HardwareAddr != "":
		return "mac/" + l.HardwareAddr
	default:
		return "<unnamed device>"
	}
}

// Interface is the interface as the pod sees it. Zero MTU or empty MAC mean "keep the
// device's own".
type Interface struct {
	Name         string `json:"name"`
	MTU          int    `json:"mtu,omitempty"`
	HardwareAddr string `json:"hardwareAddr,omitempty"`
}

// Route is one route in the pod's netns. Empty Gateway means on-link; Table 0 means main.
type Route struct {
	Destination string `json:"destination"`
	Gateway     string `json:"gateway,omitempty"`
	Table       int    `json:"table,omitempty"`
}

// Attachment records where the devices went, so StopPodSandbox (which arrives with an
// empty netns path on containerd) and a restarted plugin can bring them back.
type Attachment struct {
	SandboxID string `json:"sandboxID"`
	NetnsPath string `json:"netnsPath"`
	// Originals are the devices' state before attach, in Devices order.
	Originals []Original `json:"originals"`
}

// Original is a device's state on the host before attach; detach restores exactly this.
// In ModeVLAN it is the parent's state: the parent stays on the host, attach brings it up
// if it was down (a VLAN cannot go up on a down parent) and detach restores Up.
type Original struct {
	Name         string `json:"name"`
	MTU          int    `json:"mtu"`
	HardwareAddr string `json:"hardwareAddr"`
	Up           bool   `json:"up"`
	// VF is the PF's entry for the VF before attach changed it: only the settings the
	// Device's VFPlan changes. Nil when the device has no VFPlan.
	VF *VFOriginal `json:"vf,omitempty"`
}
