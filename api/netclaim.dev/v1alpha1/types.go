package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// NetworkConfig describes how one allocated network device is configured inside the pod.
// Pointers mark optional values whose zero is itself meaningful (an MTU of 0 is an error,
// not "unset").
//
// This version decodes every field but implements only the passthrough and vlan interface
// modes with name, MTU, MAC, VLAN, static addresses, routes, rules, VRF and SR-IOV VF
// settings. Validate refuses interface.mode macvlan or ipvlan, and ipam, with a "not
// implemented yet in this version" error (see UnsupportedFields), so the driver never
// hands the pod a half-configured interface and `netclaimctl validate` says so offline.
type NetworkConfig struct {
	metav1.TypeMeta `json:",inline"`

	// Interface is the netdev as the pod sees it: name, MTU, MAC and how it is derived.
	Interface *InterfaceConfig `json:"interface,omitempty"`
	// VLAN tags the interface's traffic (hardware VLAN on a VF, or an 802.1Q sub-interface).
	// This version implements both: the sub-interface with interface.mode vlan on a NIC or
	// PF, the hardware VLAN the PF inserts with passthrough (the default) on a VF.
	VLAN *VLANConfig `json:"vlan,omitempty"`
	// Addresses are static addresses in CIDR form (address/prefix length), IPv4 or IPv6.
	Addresses []string `json:"addresses,omitempty"`
	// IPAM names a cluster-wide pool to allocate an address from.
	// Not implemented yet in this version.
	IPAM *IPAMConfig `json:"ipam,omitempty"`
	// Routes are added in the pod's network namespace once the interface is up.
	Routes []RouteConfig `json:"routes,omitempty"`
	// Rules are policy-routing rules added in the pod's network namespace.
	Rules []RuleConfig `json:"rules,omitempty"`
	// VRF enslaves the interface to a VRF device created in the pod's network namespace.
	VRF *VRFConfig `json:"vrf,omitempty"`
	// SRIOV are virtual-function settings the PF applies to the VF, restored when the pod
	// stops, and the driver the pod gets the VF with (vfio-pci for DPDK). The settings are
	// refused at prepare on a NIC or PF; see SRIOVConfig.Driver for the driver.
	SRIOV *SRIOVConfig `json:"sriov,omitempty"`
}

// InterfaceMode says how the pod's interface is derived from the allocated device.
type InterfaceMode string

const (
	// ModePassthrough moves the device itself into the pod (the default).
	ModePassthrough InterfaceMode = "passthrough"
	// ModeMacvlan creates a macvlan sub-interface of the device in the pod.
	// Not implemented yet in this version.
	ModeMacvlan InterfaceMode = "macvlan"
	// ModeIPvlan creates an ipvlan sub-interface of the device in the pod.
	// Not implemented yet in this version.
	ModeIPvlan InterfaceMode = "ipvlan"
	// ModeVLAN creates an 802.1Q (or 802.1ad) sub-interface of the device in the pod; the
	// device stays on the host. Needs vlan.id, and a NIC or PF (a VF moves into the pod).
	ModeVLAN InterfaceMode = "vlan"
)

// InterfaceModes lists every mode Validate accepts, in documentation order.
var InterfaceModes = []InterfaceMode{ModePassthrough, ModeMacvlan, ModeIPvlan, ModeVLAN}

// InterfaceConfig is the netdev as the pod sees it.
type InterfaceConfig struct {
	// Name inside the pod, unique among all interfaces the pod gets from all its claims.
	// When omitted, the driver assigns net1, net2, ... in request order, skipping names
	// other interfaces of the pod take explicitly (see AssignInterfaceNames).
	Name *string `json:"name,omitempty"`
	// MTU inside the pod; at least 68, at most 65535 and at most the parent device's MTU.
	// Omitted: the device keeps its MTU.
	MTU *int32 `json:"mtu,omitempty"`
	// MAC is a unicast 6-byte hardware address to set on the interface. On a VF it also
	// becomes the VF's administrative MAC on the PF. Omitted: the device keeps its address.
	MAC string `json:"mac,omitempty"`
	// Mode defaults to passthrough. This version implements passthrough and vlan.
	Mode InterfaceMode `json:"mode,omitempty"`
}

// VLANProtocol is the VLAN tag protocol.
type VLANProtocol string

const (
	// VLANProtocol8021Q is the customer VLAN tag (TPID 0x8100).
	VLANProtocol8021Q VLANProtocol = "802.1Q"
	// VLANProtocol8021AD is the service VLAN tag of QinQ (TPID 0x88a8).
	VLANProtocol8021AD VLANProtocol = "802.1ad"
)

// VLANProtocols lists every VLAN protocol Validate accepts.
var VLANProtocols = []VLANProtocol{VLANProtocol8021Q, VLANProtocol8021AD}

// VLANConfig tags traffic with a VLAN. This version implements it as the tag of an 802.1Q
// sub-interface (interface.mode vlan); QoS then maps every socket priority (0..7) to the
// 802.1p priority of the frames it sends. On a VF in passthrough mode it is the VF's
// hardware VLAN instead: the PF tags and untags the VF's traffic (ip link set PF vf N vlan
// ID qos QOS proto PROTOCOL), and the pod sees untagged frames.
type VLANConfig struct {
	// ID is required, 1..4094.
	ID *int32 `json:"id,omitempty"`
	// QoS is the 802.1p priority, 0..7; omitted means 0.
	QoS *int32 `json:"qos,omitempty"`
	// Protocol defaults to 802.1Q.
	Protocol VLANProtocol `json:"protocol,omitempty"`
}

// IPAMConfig selects an address pool. Not implemented yet in this version.
type IPAMConfig struct {
	// Pool is the name of the pool, a DNS label.
	Pool string `json:"pool"`
}

// RouteConfig is one route in the pod's network namespace.
type RouteConfig struct {
	// Destination is a network in CIDR form (host bits clear); 0.0.0.0/0 or ::/0 for a
	// default route.
	Destination string `json:"destination"`
	// Gateway must be reachable from an address of the same family on this interface.
	// Omitted: the destination is directly connected to the interface.
	Gateway string `json:"gateway,omitempty"`
	// Table is the routing table; omitted or 0 means main (254). 255 (local) is refused.
	Table *int32 `json:"table,omitempty"`
}

// RuleConfig is one policy-routing rule in the pod's network namespace.
type RuleConfig struct {
	// Priority orders the rule; omitted lets the kernel pick one.
	Priority *int32 `json:"priority,omitempty"`
	// From matches the source network (CIDR, host bits clear).
	From string `json:"from,omitempty"`
	// To matches the destination network (CIDR, host bits clear).
	To string `json:"to,omitempty"`
	// Table is the routing table to look up; required, at least 1.
	Table *int32 `json:"table,omitempty"`
}

// VRFConfig names a VRF device and its routing table. Routes whose table is the VRF's
// table go into the VRF.
type VRFConfig struct {
	// Name of the VRF device in the pod; follows the interface name rules.
	Name string `json:"name"`
	// Table is the VRF's routing table; required, at least 1 and not 253, 254 or 255.
	Table *int32 `json:"table,omitempty"`
}

// LinkState is the administrative link state of a VF as set on its PF.
type LinkState string

const (
	// LinkStateAuto makes the VF follow the PF's link.
	LinkStateAuto LinkState = "auto"
	// LinkStateEnable forces the VF's link up.
	LinkStateEnable LinkState = "enable"
	// LinkStateDisable forces the VF's link down.
	LinkStateDisable LinkState = "disable"
)

// LinkStates lists every VF link state Validate accepts.
var LinkStates = []LinkState{LinkStateAuto, LinkStateEnable, LinkStateDisable}

// SRIOVConfig are VF settings the PF applies to the VF (ip link set PF vf N ...). The
// driver snapshots the PF's entry for the VF first and restores exactly the settings it
// changed when the pod stops.
type SRIOVConfig struct {
	// SpoofCheck drops frames whose source MAC is not the VF's.
	SpoofCheck *bool `json:"spoofCheck,omitempty"`
	// Trust lets the VF change its MAC and enter promiscuous mode.
	Trust *bool `json:"trust,omitempty"`
	// MinTxRateMbps is the guaranteed transmit rate; 0 means none.
	MinTxRateMbps *int32 `json:"minTxRateMbps,omitempty"`
	// MaxTxRateMbps caps the transmit rate; 0 means no cap.
	MaxTxRateMbps *int32 `json:"maxTxRateMbps,omitempty"`
	// LinkState is auto, enable or disable; omitted leaves the VF's link state alone.
	LinkState LinkState `json:"linkState,omitempty"`
	// Driver is the kernel driver the pod gets the device with. vfio-pci hands a VF over
	// for a userspace driver (DPDK) instead of as a netdev: prepare records the VF's
	// driver and netdev, binds it to vfio-pci through sysfs, and unprepare binds it back
	// and restores the netdev. The device's current driver, or omitting the field, keeps
	// it as it is; prepare refuses any other driver, and vfio-pci on a NIC or PF unless it
	// is on vfio-pci already. A device on vfio-pci already is handed over the same way,
	// with nothing to rebind. Such a device has no netdev, so with vfio-pci Validate
	// refuses every field that configures one (interface.name, mtu and a mode other than
	// passthrough, addresses, ipam, routes, rules, vrf); what the PF sets for its VF
	// (vlan, interface.mac and the other sriov fields) stays allowed, on a VF whose PF
	// has a netdev.
	Driver string `json:"driver,omitempty"`
}
