package inventory

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
)

// largeHost is a dense SR-IOV node: pfs PFs with vfsPerPF VFs each (every VF with a netdev)
// and nics plain NICs, spread over two sockets with their own PCIe root complexes.
func largeHost(pfs, vfsPerPF, nics int) *fakesys.Host {
	h := fakesys.NewHost()
	for i := range pfs {
		socket := i % 2
		rootBus := 0x80 * socket
		pfName := fmt.Sprintf("ens%df0", i+1)
		pf := fakesys.PF{
			NIC: fakesys.NIC{
				PCIAddress: fmt.Sprintf("0000:%02x:00.0", rootBus+0x10+(i/2)*0x10),
				PCIeRoot:   fmt.Sprintf("pci0000:%02x", rootBus),
				Vendor:     "8086", Device: "1592", Driver: "ice", NUMANode: socket,
				Netdev: fakesys.Netdev{IfName: pfName, SpeedMbps: 100000},
			},
			TotalVFs: vfsPerPF, VFDevice: "1889",
		}
		for v := range vfsPerPF {
			pf.VFs = append(pf.VFs, fakesys.VF{Driver: "iavf",
				Netdev: fakesys.Netdev{IfName: fmt.Sprintf("%sv%d", pfName, v), RandomMAC: true, SpeedMbps: 100000}})
		}
		h.AddPF(pf)
	}
	for i := range nics {
		h.AddNIC(fakesys.NIC{
			PCIAddress: fmt.Sprintf("0000:%02x:00.0", 0x70+i), PCIeRoot: "pci0000:00",
			Vendor: "8086", Device: "10d3", Driver: "e1000e",
			Netdev: fakesys.Netdev{IfName: fmt.Sprintf("eno%d", i+1), SpeedMbps: 1000, Uplink: i == 0},
		})
	}
	return h
}

// BenchmarkDiscover_8PF128VF scans 8 PFs x 128 VFs + 4 NICs (1,036 network functions,
// 1,037 interfaces with lo). Budget: well under 150 ms per scan.
func BenchmarkDiscover_8PF128VF(b *testing.B) {
	root := writeHost(b, largeHost(8, 128, 4))
	ctx := context.Background()
	const want = 8*128 + 3 // VFs + NICs but the uplink; PFs with VFs are not published
	// Wall time depends on what else the machine runs; process CPU time per scan does not,
	// and says what a scan costs a node's kubelet plugin.
	cpuBefore := processCPUTime(b)
	for b.Loop() {
		devices, err := Discover(ctx, Options{HostRoot: root})
		if err != nil {
			b.Fatalf("Discover: %v", err)
		}
		if len(devices) != want {
			b.Fatalf("Discover found %d devices, want %d", len(devices), want)
		}
	}
	b.ReportMetric(float64((processCPUTime(b)-cpuBefore).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

func processCPUTime(b *testing.B) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
