package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/driver"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/version"
)

// batchClaims is the size of the batched prepare: kubelet sends all claims of a pod in one
// call, and after a restart all claims of the node.
const batchClaims = 100

// vfDevice is the inventory entry of VF i of a dense host's PF.
func vfDevice(i int) inventory.Device {
	pci := fmt.Sprintf("0000:3b:%02x.%d", 2+i/8, i%8)
	name, err := inventory.PCIDeviceName(pci)
	if err != nil {
		panic(err) // constant format
	}
	return inventory.Device{Name: name, Kind: inventory.KindVF, IfName: fmt.Sprintf("ens1f0v%d", i), PCIAddress: pci,
		Driver: "iavf", PFName: "ens1f0", PFPCIAddress: "0000:3b:00.0", MAC: fmt.Sprintf("02:00:00:00:%02x:%02x", i/256, i%256),
		MTU: 9000}
}

// preparer is the kubelet plugin with its checkpoint and CDI directory on the disk the
// benchmark runs from (the temporary directory: fsync goes to a real disk unless TMPDIR
// is a tmpfs; run.sh records which).
type preparer struct {
	driver *driver.Driver
}

func newPreparer(tb testing.TB, devices []inventory.Device) *preparer {
	tb.Helper()
	dir := tb.TempDir()
	store, err := checkpoint.Open(filepath.Join(dir, "state", "checkpoint.json"))
	if err != nil {
		tb.Fatal(err)
	}
	drv, err := driver.New(driver.Config{
		DriverName: version.DriverName, NodeName: nodeName, Checkpoint: store, CDIDir: filepath.Join(dir, "cdi"),
		Devices: inventoryOf(devices...),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &preparer{driver: drv}
}

func (p *preparer) prepare(claims []*resourceapi.ResourceClaim) error {
	res, err := p.driver.PrepareResourceClaims(context.Background(), claims)
	if err != nil {
		return err
	}
	for _, c := range claims {
		r, ok := res[c.UID]
		switch {
		case !ok:
			return fmt.Errorf("no result for claim %s", c.Name)
		case r.Err != nil:
			return r.Err
		case len(r.Devices) != 1 || len(r.Devices[0].CDIDeviceIDs) != 1:
			return fmt.Errorf("claim %s: prepared devices %+v, want one with one CDI device", c.Name, r.Devices)
		}
	}
	return nil
}

// unprepare frees the devices for the next iteration (untimed).
func (p *preparer) unprepare(claims []*resourceapi.ResourceClaim) error {
	refs := make([]kubeletplugin.NamespacedObject, len(claims))
	for i, c := range claims {
		refs[i] = kubeletplugin.NamespacedObject{NamespacedName: types.NamespacedName{Namespace: c.Namespace, Name: c.Name}, UID: c.UID}
	}
	res, err := p.driver.UnprepareResourceClaims(context.Background(), refs)
	if err != nil {
		return err
	}
	for _, c := range claims {
		if err := res[c.UID]; err != nil {
			return err
		}
	}
	return nil
}

// claims returns n claims for iteration it, claim i allocated devices[i], each for its own
// pod; names and UIDs are new every iteration, so every prepare is a first prepare.
func claimsFor(it int, devices []inventory.Device) []*resourceapi.ResourceClaim {
	claims := make([]*resourceapi.ResourceClaim, len(devices))
	for i, d := range devices {
		claims[i] = allocatedClaim(fmt.Sprintf("it%d-c%d", it, i), d.Name)
	}
	return claims
}

// BenchmarkPrepare measures NodePrepareResources as the kubelet calls it: one claim per
// call, and 100 claims (100 pods' worth) in one call, each call including the checkpoint
// write (one fdatasync of a checkpoint slot) and the CDI specs. Each iteration
// unprepares afterwards, untimed, so every prepare starts from the same checkpoint. It
// ignores b.N; run it with -test.benchtime=1x.
func BenchmarkPrepare(b *testing.B) {
	devices := make([]inventory.Device, batchClaims)
	for i := range devices {
		devices[i] = vfDevice(i)
	}
	p := newPreparer(b, devices)
	single := runPrepare(b, p, devices[:1], *prepareIterations)
	batch := runPrepare(b, p, devices, *batchIterations)

	r := newResults("prepare")
	r.ms("prepare_median_ms", single.wall.median())
	r.ms("prepare_p99_ms", single.wall.percentile(99))
	r.ms("prepare_cpu_ms", single.cpu.mean())
	r.ms("prepare_100_ms", batch.wall.median())
	r.ms("prepare_100_p99_ms", batch.wall.percentile(99))
	r.ms("prepare_100_cpu_ms", batch.cpu.mean())
	b.ReportMetric(millis(single.wall.median()), "median-ms")
	r.write(b)
}

func runPrepare(b *testing.B, p *preparer, devices []inventory.Device, iterations int) opStats {
	b.Helper()
	var stats opStats
	for it := -2; it < iterations; it++ {
		claims := claimsFor(it+2+len(devices)*1000, devices)
		x, err := measure(false, func() error { return p.prepare(claims) })
		if err != nil {
			b.Fatalf("prepare of %d claims: %v", len(claims), err)
		}
		if err := p.unprepare(claims); err != nil {
			b.Fatalf("unprepare: %v", err)
		}
		if it >= 0 {
			stats.add(x)
		}
	}
	return stats
}
