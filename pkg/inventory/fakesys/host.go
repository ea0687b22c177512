// Package fakesys writes synthetic but realistic sysfs/procfs trees describing a node's
// network hardware: PCI NICs, SR-IOV physical and virtual functions, and software netdevs.
// Discovery reads such a tree instead of the live host (inventory.Options.HostRoot), so unit
// tests, the demo and the simulated nodes of the e2e tier all see "hardware" this machine
// does not have.
//
// The tree follows the kernel's layout closely enough for ghw, k8s.io/dynamic-resource-allocation
// deviceattribute and netclaim's own sysfs reads: every PCI function has a valid modalias,
// every symlink is relative and spelled the way sysfs spells it, VFs are siblings of their PF
// linked through physfn/virtfnN, and netdevs live in the net/ folder of their function (or
// under devices/virtual/net).
package fakesys

import "fmt"

// Host describes one node. Build it with NewHost and the Add methods, then Write it.
//
// Numbering is deterministic: interface indexes start at 2 (lo is 1) and IOMMU groups at 0,
// both in the order things were added (a PF's VFs right after the PF); root ports get IOMMU
// groups after all functions.
type Host struct {
	entries []entry

	// OmitPCIIDs leaves usr/share/hwdata/pci.ids out of the tree, as on a distroless host.
	OmitPCIIDs bool
	// Drivers are PCI drivers loaded without a device of their own, such as vfio-pci:
	// bus/pci/drivers/<name> with its bind and unbind files.
	Drivers []string
}

// entry is one Add call; exactly one field is set.
type entry struct {
	nic      *NIC
	pf       *PF
	platform *PlatformNIC
	virtual  *VirtualNIC
}

// NewHost returns an empty host: only the loopback interface.
func NewHost() *Host { return &Host{} }

// Netdev holds the link facts of a network interface.
type Netdev struct {
	// IfName is the interface name; empty means the function has no netdev (for example a
	// VF bound to vfio-pci).
	IfName string
	// MAC defaults to a locally administered address derived from the interface name.
	MAC string
	// RandomMAC marks the address as randomly assigned (addr_assign_type 1), as iavf and
	// mlx5 VFs do; ghw then reports no MAC although the address file holds one.
	RandomMAC bool
	// MTU defaults to 1500 (2044 for InfiniBand).
	MTU int
	// OperState defaults to "up".
	OperState string
	// SpeedMbps is written to the speed file of a hardware netdev; 0 or less writes -1, as
	// the kernel reports for a physical link that is down. Software netdevs have no speed
	// file (the kernel answers EINVAL).
	SpeedMbps int
	// Master enslaves the interface to a bridge or bond (master, upper_ and lower_ links).
	Master string
	// Uplink gives the interface the node's default routes (IPv4 and IPv6).
	Uplink bool
}

// NIC is a PCI network function without SR-IOV.
type NIC struct {
	// PCIAddress in domain:bus:device.function form, lowercase hex, e.g. "0000:3b:00.0".
	PCIAddress string
	// PCIeRoot is the root complex the function hangs off, e.g. "pci0000:3a"; it defaults to
	// "pci<domain>:00". A function on a bus other than the root's sits behind a root port.
	PCIeRoot string
	// Vendor and Device are PCI IDs as 4 lowercase hex digits, e.g. "8086" and "1572".
	Vendor string
	Device string
	// Driver is the bound driver; empty leaves the function unbound.
	Driver string
	// NUMANode is written to numa_node; -1 means no NUMA affinity.
	NUMANode int
	// LinkType is "ethernet" (default) or "infiniband"; it sets the PCI subclass and the
	// netdev's type file.
	LinkType string
	// RDMADevices are the RDMA devices of the function (infiniband/<name>), e.g. "mlx5_0".
	RDMADevices []string
	// VirtioDevice puts the netdev below a virtio bus device of the function, as virtio-pci
	// does (<function>/virtio2/net/eth0, with the device link pointing at virtio2).
	VirtioDevice string
	Netdev
}

// PF is an SR-IOV capable physical function and its enabled virtual functions.
type PF struct {
	NIC
	// TotalVFs is sriov_totalvfs; it must be greater than zero and at least len(VFs).
	TotalVFs int
	// VFDevice is the PCI device ID of the VFs; it defaults to the PF's.
	VFDevice string
	// VFs are the enabled VFs (sriov_numvfs = len(VFs)), in virtfn index order.
	VFs []VF
}

// VF is an SR-IOV virtual function. Vendor, NUMA node, root complex and link type are the PF's.
type VF struct {
	// PCIAddress defaults to the address the kernel derives from the PF's sriov_offset and
	// sriov_stride (see vfAddress).
	PCIAddress  string
	Driver      string
	RDMADevices []string
	Netdev
}

// VirtualNIC is a software netdev under devices/virtual/net.
type VirtualNIC struct {
	Netdev
	// Kind is the rtnetlink kind: veth, macvlan, vlan, bridge, bond, ... The kernel shows it
	// in sysfs only for some kinds (uevent DEVTYPE, bridge/ and bonding/ folders), and so
	// does the fake tree; tools that create real links for a simulated node can read it here.
	Kind string
	// Lower is the interface this one is stacked on (vlan, macvlan): lower_/upper_ links.
	Lower string
}

// PlatformNIC is a hardware netdev without a PCI function: virtio-mmio (Firecracker), a
// USB NIC, an SoC's built-in MAC.
type PlatformNIC struct {
	// Device is the parent device's folder below devices/, e.g. "platform/virtio-mmio.0/virtio0".
	Device string
	// Driver is the parent device's driver, e.g. "virtio_net"; its bus is Bus (default "virtio").
	Driver string
	Bus    string
	Netdev
}

// AddNIC adds a PCI NIC without SR-IOV.
func (h *Host) AddNIC(n NIC) *Host { h.entries = append(h.entries, entry{nic: &n}); return h }

// AddPF adds an SR-IOV capable PF with its enabled VFs.
func (h *Host) AddPF(p PF) *Host { h.entries = append(h.entries, entry{pf: &p}); return h }

// AddPlatformNIC adds a hardware netdev that is not a PCI function.
func (h *Host) AddPlatformNIC(p PlatformNIC) *Host {
	h.entries = append(h.entries, entry{platform: &p})
	return h
}

// AddVirtual adds a software netdev.
func (h *Host) AddVirtual(v VirtualNIC) *Host {
	h.entries = append(h.entries, entry{virtual: &v})
	return h
}

// Kinds of software netdevs that sysfs marks with a folder of their own.
const (
	KindBridge = "bridge"
	KindBond   = "bond"
)

// devTypeOf is the uevent DEVTYPE the kernel reports for a link kind: only kinds that
// register a device_type have one (veth, macvlan, ifb and dummy do not).
func devTypeOf(kind string) string {
	switch kind {
	case KindBridge, KindBond, "vlan", "vxlan", "geneve", "macsec", "wireguard":
		return kind
	}
	return ""
}

func (n NIC) validate() error {
	if _, err := parsePCIAddress(n.PCIAddress); err != nil {
		return err
	}
	if !isHex4(n.Vendor) || !isHex4(n.Device) {
		return fmt.Errorf("PCI function %s: vendor %q and device %q must be 4 lowercase hex digits", n.PCIAddress, n.Vendor, n.Device)
	}
	switch n.LinkType {
	case "", linkEthernet, linkInfiniband:
	default:
		return fmt.Errorf("PCI function %s: link type %q: want %s or %s", n.PCIAddress, n.LinkType, linkEthernet, linkInfiniband)
	}
	return nil
}

func isHex4(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
