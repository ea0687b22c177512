package publish

import (
	"context"
	"fmt"
	"slices"
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
	"k8s.io/klog/v2/ktesting"
	"k8s.io/utils/ptr"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/version"
)

// TestPublishing_UnchangedRescanWritesNothing runs the real resourceslice controller against
// a fake API server: publishing the Resources of an unchanged rescan must not write, and a
// changed fact must cost exactly one update (which shows the write counter works).
func TestPublishing_UnchangedRescanWritesNothing(t *testing.T) {
	root, example := discoverExample(t)
	tests := []struct {
		name       string
		devices    []inventory.Device
		wantSlices int
	}{
		{name: "example host, one slice", devices: example, wantSlices: 1},
		{name: "300 devices, three slices", devices: virtualDevices(300), wantSlices: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ctx := ktesting.NewTestContext(t)
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			client := fakeAPIServer()
			queue := newObservedQueue()
			var (
				errMu      sync.Mutex
				syncErrors []error
			)
			initial := mustResources(t, tt.devices, root)
			ctrl, err := resourceslice.StartController(ctx, resourceslice.Options{
				DriverName: version.DriverName,
				KubeClient: client,
				Owner:      &resourceslice.Owner{APIVersion: "v1", Kind: "Node", Name: "node-a", UID: "node-a-uid"},
				Resources:  &initial,
				Queue:      queue,
				// Informer events would schedule extra syncs; push them past the test.
				SyncDelay: ptr.To(time.Hour),
				ErrorHandler: func(_ context.Context, err error, msg string) {
					errMu.Lock()
					defer errMu.Unlock()
					syncErrors = append(syncErrors, fmt.Errorf("%s: %w", msg, err))
				},
			})
			if err != nil {
				t.Fatalf("starting the controller: %v", err)
			}
			defer ctrl.Stop()

			queue.waitForSync(t, 0)
			if got := countWrites(client.Actions()); got != (writes{creates: tt.wantSlices}) {
				t.Fatalf("first publish: %+v, want %d creates", got, tt.wantSlices)
			}

			client.ClearActions()
			rescan := mustResources(t, slices.Clone(tt.devices), root)
			synced := queue.syncs()
			ctrl.Update(&rescan)
			queue.waitForSync(t, synced)
			if got := countWrites(client.Actions()); got != (writes{}) {
				t.Errorf("publishing an unchanged rescan wrote to the API: %+v", got)
			}

			client.ClearActions()
			changed := slices.Clone(tt.devices)
			changed[0].MTU++
			synced = queue.syncs()
			updated := mustResources(t, changed, root)
			ctrl.Update(&updated)
			queue.waitForSync(t, synced)
			if got := countWrites(client.Actions()); got != (writes{updates: 1}) {
				t.Errorf("publishing one changed device: %+v, want exactly 1 update", got)
			}

			errMu.Lock()
			defer errMu.Unlock()
			for _, err := range syncErrors {
				t.Errorf("controller error: %v", err)
			}
		})
	}
}

func mustResources(t *testing.T, devs []inventory.Device, root string) resourceslice.DriverResources {
	t.Helper()
	res, err := Resources("node-a", devs, root)
	if err != nil {
		t.Fatalf("Resources: %v", err)
	}
	return res
}

// fakeAPIServer is a fake clientset that does what the API server does for ResourceSlices
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

// observedQueue is the controller's work queue, instrumented to tell when the controller has
// finished every pending sync. The controller has one worker and, in this test, only
// ctrl.Update adds work right away (informer events and re-syncs are delayed past the
// test), so a Done that leaves the queue empty means the controller is idle. A pool
// re-added while it was being synced is back in the queue before Done returns.
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

// syncs counts the times the controller became idle.
func (q *observedQueue) syncs() int64 { return q.idle.Load() }

// waitForSync waits until the controller became idle more than `after` times. It waits for
// a state, it does not measure time: the deadline only stops a hung controller.
func (q *observedQueue) waitForSync(t *testing.T, after int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for q.idle.Load() <= after {
		if time.Now().After(deadline) {
			t.Fatalf("the controller did not finish syncing (idle %d times, %d queued)", q.idle.Load(), q.Len())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
