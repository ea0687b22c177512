package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// NetworkConfig describes how one allocated network device is configured inside the pod.
// Pointers mark optional values whose zero is itself meaningful (an MTU of 0 is an error,
// not "unset").
type NetworkConfig struct {
	metav1.TypeMeta `json:",inline"`

	// Interface is the netdev as the pod sees it: name, MTU, MAC and how it is derived.
	Interface *InterfaceConfig `json:"interface,omitempty"`
	// VLAN tags the interface's traffic (hardware VLAN on a VF, or an 802.1Q sub-interface).
	VLAN *VLANConfig `json:"vlan,omitempty"`
	// Addresses are static addresses in CIDR form, IPv4 or IPv6.
	Addresses []string `json:"addresses,omitempty"`
	// IPAM names a cluster-wide pool to allocate an address from.
	IPAM *IPAMConfig `json:"ipam,omitempty"`
	// Routes are added in the pod's network namespace once the interface is up.
	Routes []RouteConfig `json:"routes,omitempty"`
	// Rules are policy-routing rules added in the pod's network namespace.
	Rules []RuleConfig `json:"rules,omitempty"`
	// VRF enslaves the interface to a VRF device created in the pod's network namespace.
	VRF *VRFConfig `json:"vrf,omitempty"`
	// SRIOV are virtual-function settings applied on the PF before the VF moves.
	SRIOV *SRIOVConfig `json:"sriov,omitempty"`
}

// InterfaceMode says how the pod's interface is derived from the allocated device.
type InterfaceMode string

const (
	// ModePassthrough moves the device itself into the pod (the default).
	ModePassthrough InterfaceMode = "passthrough"
	// ModeMacvlan creates a macvlan sub-interface of the device in the pod.
	ModeMacvlan InterfaceMode = "macvlan"
	// ModeIPvlan creates an ipvlan sub-interface of the device in the pod.
	ModeIPvlan InterfaceMode = "ipvlan"
	// ModeVLAN creates an 802.1Q sub-interface of the device in the pod.
	ModeVLAN InterfaceMode = "vlan"
)

// InterfaceConfig is the netdev as the pod sees it.
type InterfaceConfig struct {
	// Name inside the pod; defaults to net1, net2, ... in request order.
	Name *string `json:"name,omitempty"`
	// MTU inside the pod; at least 68 and at most the parent device's MTU.
	MTU *int32 `json:"mtu,omitempty"`
	// MAC is a unicast hardware address to set on the interface.
	MAC string `json:"mac,omitempty"`
	// Mode defaults to passthrough.
	Mode InterfaceMode `json:"mode,omitempty"`
}

// VLANProtocol is the VLAN tag protocol.
type VLANProtocol string

const (
	VLANProtocol8021Q  VLANProtocol = "802.1Q"
	VLANProtocol8021AD VLANProtocol = "802.1ad"
)

// VLANConfig tags traffic with a VLAN.
type VLANConfig struct {
	// ID is required, 1..4094.
	ID *int32 `json:"id,omitempty"`
	// QoS is the 802.1p priority, 0..7.
	QoS *int32 `json:"qos,omitempty"`
	// Protocol defaults to 802.1Q.
	Protocol VLANProtocol `json:"protocol,omitempty"`
}

// IPAMConfig selects an address pool.
type IPAMConfig struct {
	Pool string `json:"pool"`
}

// RouteConfig is one route in the pod's network namespace.
type RouteConfig struct {
	// Destination in CIDR form; 0.0.0.0/0 or ::/0 for a default route.
	Destination string `json:"destination"`
	// Gateway must be reachable from an address of the same family on this interface.
	Gateway string `json:"gateway,omitempty"`
	// Table is the routing table, 0 meaning main.
	Table *int32 `json:"table,omitempty"`
}

// RuleConfig is one policy-routing rule in the pod's network namespace.
type RuleConfig struct {
	Priority *int32 `json:"priority,omitempty"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	Table    *int32 `json:"table,omitempty"`
}

// VRFConfig names a VRF device and its routing table.
type VRFConfig struct {
	Name  string `json:"name"`
	Table *int32 `json:"table,omitempty"`
}

// LinkState is the administrative link state of a VF as set on its PF.
type LinkState string

const (
	LinkStateAuto    LinkState = "auto"
	LinkStateEnable  LinkState = "enable"
	LinkStateDisable LinkState = "disable"
)

// SRIOVConfig are VF settings applied on the PF.
type SRIOVConfig struct {
	SpoofCheck    *bool     `json:"spoofCheck,omitempty"`
	Trust         *bool     `json:"trust,omitempty"`
	MinTxRateMbps *int32    `json:"minTxRateMbps,omitempty"`
	MaxTxRateMbps *int32    `json:"maxTxRateMbps,omitempty"`
	LinkState     LinkState `json:"linkState,omitempty"`
	// Driver rebinds the VF, e.g. vfio-pci for DPDK.
	Driver string `json:"driver,omitempty"`
}
