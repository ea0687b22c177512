// Package plan is the contract between prepare and attach.
//
// NodePrepareResources runs before the pod sandbox and its network namespace exist, so it
// decides everything (validated config, the interface name in the pod, addresses, routes)
// and records it here. The NRI RunPodSandbox hook executes a plan without going back to the
// API server and without re-validating: whatever is in a Plan was already accepted.
// The checkpoint persists Plans, together with the Original state snapshotted at attach, so
// a restarted plugin can still restore a device exactly.
package plan

// Version is bumped when a Plan's persisted form changes incompatibly.
const Version = "v1"

// Claim is everything prepare decided for one ResourceClaim on this node.
type Claim struct {
	UID       string `json:"uid"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// PodUID is the one pod the claim is reserved for; attach matches sandboxes by it.
	PodUID string `json:"podUID"`
	// PodName and PodNamespace are for messages and events only.
	PodName      string `json:"podName,omitempty"`
	PodNamespace string `json:"podNamespace,omitempty"`
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
}

// HostLink identifies a netdev on the host. Name is the primary key; PCIAddress and
// HardwareAddr find the device again when the kernel renamed it (a physical device
// returned from a destroyed netns comes back as devN when its name is taken).
type HostLink struct {
	Name         string `json:"name"`
	PCIAddress   string `json:"pciAddress,omitempty"`
	HardwareAddr string `json:"hardwareAddr,omitempty"`
	MTU          int    `json:"mtu,omitempty"`
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
type Original struct {
	Name         string `json:"name"`
	Index        int    `json:"index"`
	MTU          int    `json:"mtu"`
	HardwareAddr string `json:"hardwareAddr"`
	Up           bool   `json:"up"`
}
