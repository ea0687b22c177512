package fakesys

// Example is a realistic two-socket host used by the demo:
//
//   - eno1: the uplink (default route), a Broadcom 25G NIC on NUMA 0 — never published;
//   - ens1f0: a Mellanox ConnectX-5 PF on NUMA 0 (pci0000:3a) with 4 VFs enabled: v0 is
//     RDMA-capable (mlx5_2), v2 is bound to vfio-pci and has no netdev;
//   - ens3: an Intel NIC without SR-IOV on NUMA 1 (pci0000:ae);
//   - ens4f0: an Intel E810 PF on NUMA 1 (pci0000:d7), SR-IOV capable with no VFs enabled;
//   - br0: a bridge (cannot change network namespace) — never published;
//   - veth-a: a veth.
func Example() *Host {
	h := NewHost()
	h.AddNIC(NIC{
		PCIAddress: "0000:18:00.0", PCIeRoot: "pci0000:17", Vendor: "14e4", Device: "16d7",
		Driver: "bnxt_en", NUMANode: 0,
		Netdev: Netdev{IfName: "eno1", MAC: "b0:26:28:00:18:00", MTU: 1500, SpeedMbps: 25000, Uplink: true},
	})
	h.AddPF(PF{
		NIC: NIC{
			PCIAddress: "0000:3b:00.0", PCIeRoot: "pci0000:3a", Vendor: "15b3", Device: "1017",
			Driver: "mlx5_core", NUMANode: 0, RDMADevices: []string{"mlx5_0"},
			Netdev: Netdev{IfName: "ens1f0", MAC: "0c:42:a1:3b:00:00", MTU: 9000, SpeedMbps: 25000},
		},
		TotalVFs: 8,
		VFDevice: "1018",
		VFs: []VF{
			{Driver: "mlx5_core", RDMADevices: []string{"mlx5_2"},
				Netdev: Netdev{IfName: "ens1f0v0", MAC: "ae:5b:0c:3b:02:00", RandomMAC: true, MTU: 9000, SpeedMbps: 25000}},
			{Driver: "mlx5_core",
				Netdev: Netdev{IfName: "ens1f0v1", MAC: "ae:5b:0c:3b:02:01", RandomMAC: true, MTU: 9000, SpeedMbps: 25000}},
			{Driver: "vfio-pci"},
			{Driver: "mlx5_core",
				Netdev: Netdev{IfName: "ens1f0v3", MAC: "ae:5b:0c:3b:02:03", RandomMAC: true, MTU: 1500, OperState: "down"}},
		},
	})
	h.AddNIC(NIC{
		PCIAddress: "0000:af:00.0", PCIeRoot: "pci0000:ae", Vendor: "8086", Device: "10d3",
		Driver: "e1000e", NUMANode: 1,
		Netdev: Netdev{IfName: "ens3", MAC: "3c:fd:fe:af:00:00", MTU: 1500, SpeedMbps: 1000},
	})
	h.AddPF(PF{
		NIC: NIC{
			PCIAddress: "0000:d8:00.0", PCIeRoot: "pci0000:d7", Vendor: "8086", Device: "1592",
			Driver: "ice", NUMANode: 1,
			Netdev: Netdev{IfName: "ens4f0", MAC: "b4:96:91:d8:00:00", MTU: 1500, SpeedMbps: 100000},
		},
		TotalVFs: 64,
		VFDevice: "1889",
	})
	h.AddVirtual(VirtualNIC{Kind: KindBridge, Netdev: Netdev{IfName: "br0", MAC: "02:42:ac:11:00:01", MTU: 1500}})
	h.AddVirtual(VirtualNIC{Kind: "veth", Netdev: Netdev{IfName: "veth-a", MAC: "7a:1c:3e:00:00:0a", MTU: 1500}})
	return h
}
