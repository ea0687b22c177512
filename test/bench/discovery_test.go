package bench

import (
	"context"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
	"k8s.io/dynamic-resource-allocation/resourceslice"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
	"github.com/netclaim/netclaim/pkg/publish"
)

// The dense SR-IOV node of the discovery, rescan and RSS benchmarks.
const (
	densePFs      = 8
	denseVFsPerPF = 128
	denseNICs     = 4
	// denseDevices is what it publishes: every VF and every NIC but the uplink (a PF
	// whose VFs are enabled is not published).
	denseDevices = densePFs*denseVFsPerPF + denseNICs - 1
)

// writeDenseHost writes the tree and flushes it to disk before anything is measured: the
// kernel would otherwise write its ~50,000 new files back while the scans run and charge
// them the CPU (a real sysfs never touches a disk).
func writeDenseHost(tb testing.TB) string {
	tb.Helper()
	root := tb.TempDir()
	if err := fakesys.Dense(densePFs, denseVFsPerPF, denseNICs).Write(root); err != nil {
		tb.Fatalf("writing the synthetic host: %v", err)
	}
	unix.Sync()
	return root
}

// scanner does what the plugin's publisher (publish.Publisher) does on a scan that found a
// change: discover, merge with the devices claims hold (inventory.View), describe as
// ResourceSlices. It describes every scan, even an unchanged one the publisher would skip:
// the full cost is what is measured.
type scanner struct {
	root string
	view *inventory.View
}

func newScanner(tb testing.TB, root string) *scanner {
	tb.Helper()
	store, err := checkpoint.Open(filepath.Join(tb.TempDir(), "checkpoint.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return &scanner{root: root, view: inventory.NewView(store.DevicesInUse)}
}

func (s *scanner) scan(ctx context.Context) (resourceslice.DriverResources, int, error) {
	devices, err := inventory.Discover(ctx, inventory.Options{HostRoot: s.root})
	if err != nil {
		return resourceslice.DriverResources{}, 0, err
	}
	published := s.view.Update(devices)
	res, err := publish.Resources(nodeName, published, s.root)
	return res, len(published), err
}

func sliceDevices(res resourceslice.DriverResources) int {
	n := 0
	for _, pool := range res.Pools {
		for _, s := range pool.Slices {
			n += len(s.Devices)
		}
	}
	return n
}

// BenchmarkDiscovery_8PF128VF scans the dense host and builds its ResourceSlices, as the
// plugin does at start and on every rescan. It ignores b.N; run it with
// -test.benchtime=1x.
func BenchmarkDiscovery_8PF128VF(b *testing.B) {
	root := writeDenseHost(b)
	s := newScanner(b, root)
	ctx := context.Background()
	var stats opStats
	for i := -2; i < *discoveryIterations; i++ {
		var res resourceslice.DriverResources
		var published int
		x, err := measure(false, func() error {
			var err error
			res, published, err = s.scan(ctx)
			return err
		})
		if err != nil {
			b.Fatalf("scan: %v", err)
		}
		if published != denseDevices || sliceDevices(res) != denseDevices {
			b.Fatalf("scan published %d devices in %d slice entries, want %d", published, sliceDevices(res), denseDevices)
		}
		if i >= 0 { // two warm-up scans: page cache, ghw's first parse
			stats.add(x)
		}
	}
	r := newResults("discovery")
	r.add("discovery_devices", "%d", denseDevices)
	r.ms("discovery_1024vf_ms", stats.wall.median())
	r.ms("discovery_1024vf_p99_ms", stats.wall.percentile(99))
	r.ms("discovery_1024vf_cpu_ms", stats.cpu.mean())
	r.add("discovery_1024vf_alloc_mib", "%.1f", float64(stats.alloc)/float64(len(stats.wall))/(1<<20))
	b.ReportMetric(millis(stats.wall.median()), "median-ms")
	r.write(b)
}
