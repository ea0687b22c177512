package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/util/workqueue"
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
	client := fakeAPIServer()
	queue := newObservedQueue()
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
	queue.waitForSync(b, 0)
	wantSlices := (denseDevices + 127) / 128
	if got := countWrites(client.Actions()); got != (writes{creates: wantSlices}) {
		b.Fatalf("first publish: %+v, want %d creates", got, wantSlices)
	}

	var unchanged writes
	for range rescans {
		client.ClearActions()
		res, _, err := s.scan(ctx)
		if err != nil {
			b.Fatal(err)
		}
		synced := queue.syncs()
		ctrl.Update(&res)
		queue.waitForSync(b, synced)
		unchanged = unchanged.plus(countWrites(client.Actions()))
	}

	client.ClearActions()
	res, _, err := s.scan(ctx)
	if err != nil {
		b.Fatal(err)
	}
	changeOneDevice(b, &res)
	synced := queue.syncs()
	ctrl.Update(&res)
	queue.waitForSync(b, synced)
	if got := countWrites(client.Actions()); got != (writes{updates: 1}) {
		b.Fatalf("publishing one changed device: %+v, want exactly 1 update (the write counter does not count)", got)
	}
	if err := syncErrs.err(); err != nil {
		b.Fatal(err)
	}

	r := newResults("rescan")
	r.add("rescan_slices", "%d", wantSlices)
	r.add("rescan_rescans", "%d", rescans)
	r.add("rescan_api_writes", "%d", unchanged.total())
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

// fakeAPIServer is a fake clientset that does for ResourceSlices what the API server does
// and the fake does not: generate names and bump resourceVersions, which the controller's
// mutation cache compares.
func fakeAPIServer() *fake.Clientset {
	client := fake.NewClientset()
	var generated atomic.Int64
	client.PrependReactor("create", "resourceslices", func(action k8stesting.Action) (bool, runtime.Object, error) {
		s := action.(k8stesting.CreateAction).GetObject().(*resourceapi.ResourceSlice)
		if s.Name == "" {
			s.Name = fmt.Sprintf("%s%d", s.GenerateName, generated.Add(1))
		}
		s.ResourceVersion = "1"
		return false, nil, nil
	})
	client.PrependReactor("update", "resourceslices", func(action k8stesting.Action) (bool, runtime.Object, error) {
		s := action.(k8stesting.UpdateAction).GetObject().(*resourceapi.ResourceSlice)
		var rv int
		if _, err := fmt.Sscan(s.ResourceVersion, &rv); err != nil {
			return true, nil, fmt.Errorf("resourceVersion %q: %w", s.ResourceVersion, err)
		}
		s.ResourceVersion = fmt.Sprint(rv + 1)
		return false, nil, nil
	})
	return client
}

type writes struct{ creates, updates, deletes int }

func (w writes) plus(o writes) writes {
	return writes{w.creates + o.creates, w.updates + o.updates, w.deletes + o.deletes}
}

func (w writes) total() int { return w.creates + w.updates + w.deletes }

func countWrites(actions []k8stesting.Action) writes {
	var w writes
	for _, a := range actions {
		if a.GetResource().Resource != "resourceslices" {
			continue
		}
		switch a.GetVerb() {
		case "create":
			w.creates++
		case "update", "patch":
			w.updates++
		case "delete", "delete-collection":
			w.deletes++
		}
	}
	return w
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

// observedQueue is the controller's work queue, instrumented to tell when the controller
// has finished every pending sync. The controller has one worker and here only ctrl.Update
// adds work right away (informer-triggered syncs are delayed past the benchmark), so a
// Done that leaves the queue empty means the controller is idle.
type observedQueue struct {
	workqueue.TypedRateLimitingInterface[string]
	idle atomic.Int64
}

func newObservedQueue() *observedQueue {
	return &observedQueue{TypedRateLimitingInterface: workqueue.NewTypedRateLimitingQueue(
		workqueue.DefaultTypedControllerRateLimiter[string]())}
}

func (q *observedQueue) Done(item string) {
	q.TypedRateLimitingInterface.Done(item)
	if q.Len() == 0 {
		q.idle.Add(1)
	}
}

func (q *observedQueue) syncs() int64 { return q.idle.Load() }

// waitForSync waits until the controller became idle more than `after` times. The
// deadline only stops a hung controller; nothing is timed here.
func (q *observedQueue) waitForSync(tb testing.TB, after int64) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for q.idle.Load() <= after {
		if time.Now().After(deadline) {
			tb.Fatalf("the resourceslice controller did not finish syncing (idle %d times, %d queued)", q.idle.Load(), q.Len())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
