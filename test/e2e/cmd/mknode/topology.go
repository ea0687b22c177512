package main

import (
	"fmt"

	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
)

// The hardware of simulated node <index>. Nodes differ on purpose, so that scheduling by
// attribute and topology is exercised, not just counting:
//
//	eno1    uplink (default route), Intel I219 at 0000:00:19.0 — never published
//	ens1f0  Mellanox ConnectX-5 PF, pcieRoot pci0000:00, NUMA 0, MTU 9000, 25G;
//	        8 / 6 / 8 VFs enabled (ens1f0v<n>) on nodes 1 / 2 / 3 (repeating)
//	ens2f0  Intel E810 PF, pcieRoot pci0000:80, NUMA 1, 100G;
//	        4 / 4 / 0 VFs (ens2f0v<n>): with none enabled the PF itself is published
//	ens3    Intel NIC without SR-IOV, 1G, on pci0000:00 (odd nodes) or pci0000:80 (even)
//
// PCI bus numbers are offset by the node index, so device names (pci-0000-3b-...) differ
// between nodes too.
const (
	rootNUMA0 = "pci0000:00"
	rootNUMA1 = "pci0000:80"
)

// link is an interface of the fake tree that must exist in the node's network namespace
// with exactly these facts: the plugin reads them from the tree and attach looks the real
// interface up by them.
type link struct {
	Name string
	MAC  string
	MTU  int
}

// nodeShape is what varies between nodes.
type nodeShape struct {
	mellanoxVFs int
	intelVFs    int
	nicOnNUMA1  bool
}

func shapeOf(index int) nodeShape {
	i := (index - 1) % 3
	return nodeShape{
		mellanoxVFs: []int{8, 6, 8}[i],
		intelVFs:    []int{4, 4, 0}[i],
		nicOnNUMA1:  index%2 == 0,
	}
}

// topology builds the fake host and records every interface it describes.
type topology struct {
	index int
	host  *fakesys.Host
	links []link
}

// netdev returns the Netdev of an interface with a MAC unique across nodes:
// 02:6e:63 ("nc", locally administered) : node : group : member.
func (t *topology) netdev(name string, group, member, mtu, speedMbps int) fakesys.Netdev {
	mac := fmt.Sprintf("02:6e:63:%02x:%02x:%02x", t.index, group, member)
	t.links = append(t.links, link{Name: name, MAC: mac, MTU: mtu})
	return fakesys.Netdev{IfName: name, MAC: mac, MTU: mtu, SpeedMbps: speedMbps}
}

// Interface groups: the second-to-last byte of the MACs.
const (
	groupUplink = iota + 1
	groupMellanox
	groupIntel
	groupNIC
)

func nodeTopology(index int) (*topology, error) {
	if index < 1 || index > 0x3f {
		return nil, fmt.Errorf("node index %d: want 1..63 (it offsets PCI bus numbers)", index)
	}
	shape := shapeOf(index)
	t := &topology{index: index, host: fakesys.NewHost()}

	uplink := t.netdev("eno1", groupUplink, 0, 1500, 1000)
	uplink.Uplink = true
	t.host.AddNIC(fakesys.NIC{
		PCIAddress: "0000:00:19.0", PCIeRoot: rootNUMA0, Vendor: "8086", Device: "15bb",
		Driver: "e1000e", NUMANode: 0, Netdev: uplink,
	})

	mellanox := fakesys.PF{
		NIC: fakesys.NIC{
			PCIAddress: fmt.Sprintf("0000:%02x:00.0", 0x3a+index), PCIeRoot: rootNUMA0,
			Vendor: "15b3", Device: "1017", Driver: "mlx5_core", NUMANode: 0,
			Netdev: t.netdev("ens1f0", groupMellanox, 0xff, 9000, 25000),
		},
		TotalVFs: 8, VFDevice: "1018",
	}
	for vf := range shape.mellanoxVFs {
		mellanox.VFs = append(mellanox.VFs, fakesys.VF{Driver: "mlx5_core",
			Netdev: t.netdev(fmt.Sprintf("ens1f0v%d", vf), groupMellanox, vf, 9000, 25000)})
	}
	t.host.AddPF(mellanox)

	intel := fakesys.PF{
		NIC: fakesys.NIC{
			PCIAddress: fmt.Sprintf("0000:%02x:00.0", 0x85+index), PCIeRoot: rootNUMA1,
			Vendor: "8086", Device: "1592", Driver: "ice", NUMANode: 1,
			Netdev: t.netdev("ens2f0", groupIntel, 0xff, 1500, 100000),
		},
		TotalVFs: 16, VFDevice: "1889",
	}
	for vf := range shape.intelVFs {
		intel.VFs = append(intel.VFs, fakesys.VF{Driver: "iavf",
			Netdev: t.netdev(fmt.Sprintf("ens2f0v%d", vf), groupIntel, vf, 1500, 100000)})
	}
	t.host.AddPF(intel)

	nic := fakesys.NIC{
		PCIAddress: fmt.Sprintf("0000:%02x:00.0", 0x10+index), PCIeRoot: rootNUMA0,
		Vendor: "8086", Device: "10d3", Driver: "e1000e", NUMANode: 0,
		Netdev: t.netdev("ens3", groupNIC, 0, 1500, 1000),
	}
	if shape.nicOnNUMA1 {
		nic.PCIAddress, nic.PCIeRoot, nic.NUMANode = fmt.Sprintf("0000:%02x:00.0", 0xc0+index), rootNUMA1, 1
	}
	t.host.AddNIC(nic)
	return t, nil
}
