// Package inventory discovers the network devices of a node: PCI NICs, SR-IOV physical and
// virtual functions, and non-PCI netdevs, from ghw, sysfs and (on a live host) netlink.
// A View keeps the devices claims hold described while they sit in pods. It knows nothing
// of the Kubernetes resource API; pkg/publish translates Devices.
package inventory

// Kind classifies a device.
type Kind string

const (
	// KindNIC is a network device without SR-IOV capability (PCI or a software netdev).
	KindNIC Kind = "nic"
	// KindPF is an SR-IOV capable physical function with no VFs enabled; once VFs are
	// enabled the PF is not handed out whole, its VFs are.
	KindPF Kind = "pf"
	// KindVF is an SR-IOV virtual function.
	KindVF Kind = "vf"
)

// LinkType is the link layer of a netdev.
type LinkType string

const (
	LinkTypeEthernet   LinkType = "ethernet"
	LinkTypeInfiniband LinkType = "infiniband"
)

// Device is one allocatable network device. Optional facts are pointers or empty strings:
// publish omits an attribute rather than publish a wrong one.
type Device struct {
	// Name is the published device name: a DNS label, stable across rescans
	// (pci-0000-3b-02-1 for PCI devices, the interface name otherwise).
	Name string
	Kind Kind
	// IfName is the netdev name; empty for a VF bound to a driver without a netdev (vfio-pci).
	IfName string
	// PCIAddress in domain:bus:device.function form; empty for non-PCI devices.
	PCIAddress string
	// Vendor and DeviceID are PCI IDs as 4 lowercase hex digits, e.g. "8086".
	Vendor   string
	DeviceID string
	// Driver is the bound kernel driver (igb, igbvf, vfio-pci, veth, ...).
	Driver string
	// PFName and PFPCIAddress identify a VF's physical function.
	PFName       string
	PFPCIAddress string
	// PFMTU is the MTU of a VF's PF netdev; 0 when unknown (the PF has no netdev). A VF
	// cannot carry frames larger than its PF does.
	PFMTU int
	// VFIndex is a VF's index on its PF (virtfnN).
	VFIndex *int
	// SRIOVTotalVFs and SRIOVNumVFs are set on SR-IOV capable PFs.
	SRIOVTotalVFs *int
	SRIOVNumVFs   *int
	LinkType      LinkType
	// RDMA is true when the device has an RDMA (infiniband class) device;
	// RDMADevices are the names under infiniband/ (e.g. mlx5_0).
	RDMA        bool
	RDMADevices []string
	// RDMAVerbsDevices are the userspace verbs devices of the function
	// (infiniband_verbs/uverbsN): the /dev/infiniband/uverbsN a container opens.
	RDMAVerbsDevices []string
	// MAC, MTU, OperState and SpeedMbps are link facts; SpeedMbps 0 means unknown.
	MAC       string
	MTU       int
	OperState string
	SpeedMbps int
	// Virtual is true for software netdevs (veth, macvlan, ...) with no PCI function.
	Virtual bool
	// NUMANode is unset when the kernel reports -1 or nothing.
	NUMANode   *int
	IOMMUGroup string
}
