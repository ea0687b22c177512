package fakesys

import "fmt"

// Dense is a large SR-IOV node for scale tests and benchmarks: pfs E810-like PFs with
// vfsPerPF iavf VFs each (every VF with a netdev and a random MAC, as iavf has), spread
// over two NUMA nodes with their own PCIe root complexes, and nics onboard NICs, the first
// of which carries the default route (so it and PFs with VFs enabled are not published).
func Dense(pfs, vfsPerPF, nics int) *Host {
	h := NewHost()
	for i := range pfs {
		socket := i % 2
		rootBus := 0x80 * socket
		pfName := fmt.Sprintf("ens%df0", i+1)
		pf := PF{
			NIC: NIC{
				PCIAddress: fmt.Sprintf("0000:%02x:00.0", rootBus+0x10+(i/2)*0x10),
				PCIeRoot:   fmt.Sprintf("pci0000:%02x", rootBus),
				Vendor:     "8086", Device: "1592", Driver: "ice", NUMANode: socket,
				Netdev: Netdev{IfName: pfName, SpeedMbps: 100000},
			},
			TotalVFs: vfsPerPF, VFDevice: "1889",
		}
		for v := range vfsPerPF {
			pf.VFs = append(pf.VFs, VF{Driver: "iavf",
				Netdev: Netdev{IfName: fmt.Sprintf("%sv%d", pfName, v), RandomMAC: true, SpeedMbps: 100000}})
		}
		h.AddPF(pf)
	}
	for i := range nics {
		h.AddNIC(NIC{
			PCIAddress: fmt.Sprintf("0000:%02x:00.0", 0x70+i), PCIeRoot: "pci0000:00",
			Vendor: "8086", Device: "10d3", Driver: "e1000e",
			Netdev: Netdev{IfName: fmt.Sprintf("eno%d", i+1), SpeedMbps: 1000, Uplink: i == 0},
		})
	}
	return h
}
