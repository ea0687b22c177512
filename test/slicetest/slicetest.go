// Package slicetest is test support for code that publishes ResourceSlices through the
// real resourceslice controller against a fake clientset: a fake that behaves like the
// API server where the controller depends on it, a count of the writes it received, and a
// work queue that tells when the controller has finished syncing. pkg/publish's tests and
// the rescan benchmark (test/bench) use it.
package slicetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/util/workqueue"
)

// FakeAPIServer is a fake clientset that does for ResourceSlices what the API server does
// and the fake does not: generate names and bump resourceVersions, which the controller's
// mutation cache compares.
func FakeAPIServer() *fake.Clientset {
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

// Writes counts ResourceSlice writes by kind.
type Writes struct{ Creates, Updates, Deletes int }

// Plus adds two counts.
func (w Writes) Plus(o Writes) Writes {
	return Writes{w.Creates + o.Creates, w.Updates + o.Updates, w.Deletes + o.Deletes}
}

// Total is the number of writes of any kind.
func (w Writes) Total() int { return w.Creates + w.Updates + w.Deletes }

// CountWrites counts the ResourceSlice writes among a fake clientset's actions.
func CountWrites(actions []k8stesting.Action) Writes {
	var w Writes
	for _, a := range actions {
		if a.GetResource().Resource != "resourceslices" {
			continue
		}
		switch a.GetVerb() {
		case "create":
			w.Creates++
		case "update", "patch":
			w.Updates++
		case "delete", "delete-collection":
			w.Deletes++
		}
	}
	return w
}

// ObservedQueue is the controller's work queue, instrumented to tell when the controller
// has finished every pending sync. The controller has one worker and, where this is used,
// only ctrl.Update adds work right away (informer-triggered syncs are delayed past the
// test), so a Done that leaves the queue empty means the controller is idle. A pool
// re-added while it was being synced is back in the queue before Done returns.
type ObservedQueue struct {
	workqueue.TypedRateLimitingInterface[string]
	idle atomic.Int64
}

// NewObservedQueue returns a queue to hand the controller (resourceslice.Options.Queue).
func NewObservedQueue() *ObservedQueue {
	return &ObservedQueue{TypedRateLimitingInterface: workqueue.NewTypedRateLimitingQueue(
		workqueue.DefaultTypedControllerRateLimiter[string]())}
}

// Done marks item done and counts the controller idle when nothing else is queued.
func (q *ObservedQueue) Done(item string) {
	q.TypedRateLimitingInterface.Done(item)
	if q.Len() == 0 {
		q.idle.Add(1)
	}
}

// Syncs counts the times the controller became idle.
func (q *ObservedQueue) Syncs() int64 { return q.idle.Load() }

// WaitForSync waits until the controller became idle more than after times. It waits for
// a state, it does not measure time: the deadline only stops a hung controller.
func (q *ObservedQueue) WaitForSync(tb testing.TB, after int64) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for q.idle.Load() <= after {
		if time.Now().After(deadline) {
			tb.Fatalf("the resourceslice controller did not finish syncing (idle %d times, %d queued)", q.idle.Load(), q.Len())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
