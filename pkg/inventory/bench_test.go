package inventory

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
)

// BenchmarkDiscover_8PF128VF scans 8 PFs x 128 VFs + 4 NICs (1,036 network functions,
// 1,037 interfaces with lo). Budget: well under 150 ms per scan.
func BenchmarkDiscover_8PF128VF(b *testing.B) {
	root := writeHost(b, fakesys.Dense(8, 128, 4))
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
