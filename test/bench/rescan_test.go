package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/netclaim/netclaim/test/slicetest"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/dynamic-resource-allocation/resourceslice"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/netclaim/netclaim/pkg/version"
)

// rescans is how many unchanged rescans BenchmarkRescan_Unchanged publishes.
const rescans = 5

// BenchmarkRescan_Unchanged runs the real resourceslice controller (what the kubelet
// plugin helper publishes through) against a fake API server, publishes the dense host,
// then publishes fresh scans of the unchanged host and counts the API writes they cause:
// the figure must be 0, or every node would write its slices every rescan interval. A last
// scan with one changed device must cost exactly one update, which shows the counter
// counts. It ignores b.N; run it with -test.benchtime=1x.
//
// The plugin itself does not even hand an unchanged scan to the controller (it compares
// first); this measures the stronger property that the controller would not write either.
func BenchmarkRescan_Unchanged(b *testing.B) {
	root := writeDenseHost(b)
	s := newScanner(b, root)
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), klog.Background()))
	defer cancel()

	initial, _, err := s.scan(ctx)
	if err != nil {
		b.Fatal(err)
	}
	client := slicetest.FakeAPIServer()
	queue := slicetest.NewObservedQueue()
	var syncErrs syncErrors
	ctrl, err := resourceslice.StartController(ctx, resourceslice.Options{
		DriverName: version.DriverName,
		KubeClient: client,
		Owner:      &resourceslice.Owner{APIVersion: "v1", Kind: "Node", Name: nodeName, UID: "bench-node-uid"},
		Resources:  &initial,
		Queue:      queue,
		// Informer events would schedule extra syncs at unpredictable times; push them
		// past the benchmark so that every sync is one this benchmark asked for.
		SyncDelay:    ptr.To(time.Hour),
		ErrorHandler: syncErrs.record,
	})
	if err != nil {
		b.Fatalf("starting the resourceslice controller: %v", err)
	}
	defer ctrl.Stop()
	queue.WaitForSync(b, 0)
	wantSlices := (denseDevices + 127) / 128
	if got := slicetest.CountWrites(client.Actions()); got != (slicetest.Writes{Creates: wantSlices}) {
		b.Fatalf("first publish: %+v, want %d creates", got, wantSlices)
	}

	var unchanged slicetest.Writes
	for range rescans {
		client.ClearActions()
		res, _, err := s.scan(ctx)
		if err != nil {
			b.Fatal(err)
		}
		synced := queue.Syncs()
		ctrl.Update(&res)
		queue.WaitForSync(b, synced)
		unchanged = unchanged.Plus(slicetest.CountWrites(client.Actions()))
	}

	client.ClearActions()
	res, _, err := s.scan(ctx)
	if err != nil {
		b.Fatal(err)
	}
	changeOneDevice(b, &res)
	synced := queue.Syncs()
	ctrl.Update(&res)
	queue.WaitForSync(b, synced)
	if got := slicetest.CountWrites(client.Actions()); got != (slicetest.Writes{Updates: 1}) {
		b.Fatalf("publishing one changed device: %+v, want exactly 1 update (the write counter does not count)", got)
	}
	if err := syncErrs.err(); err != nil {
		b.Fatal(err)
	}

	r := newResults("rescan")
	r.add("rescan_slices", "%d", wantSlices)
	r.add("rescan_rescans", "%d", rescans)
	r.add("rescan_api_writes", "%d", unchanged.Total())
	r.write(b)
}

// changeOneDevice bumps the MTU attribute of the first device, as a changed link would.
func changeOneDevice(tb testing.TB, res *resourceslice.DriverResources) {
	tb.Helper()
	for _, pool := range res.Pools {
		dev := &pool.Slices[0].Devices[0]
		attr, ok := dev.Attributes["mtu"]
		if !ok || attr.IntValue == nil {
			tb.Fatalf("device %s has no integer mtu attribute to change: %v", dev.Name, dev.Attributes)
		}
		dev.Attributes["mtu"] = resourceapi.DeviceAttribute{IntValue: ptr.To(*attr.IntValue + 1)}
		return
	}
	tb.Fatal("no pool to change")
}

// syncErrors collects the controller's errors.
type syncErrors struct {
	mu   sync.Mutex
	errs []error
}

func (s *syncErrors) record(_ context.Context, err error, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, fmt.Errorf("%s: %w", msg, err))
}

func (s *syncErrors) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) == 0 {
		return nil
	}
	return fmt.Errorf("resourceslice controller errors: %v", s.errs)
}
