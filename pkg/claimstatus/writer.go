// Package claimstatus reports where a claim's devices ended up: KEP-4817 status.devices[]
// entries (networkData: interface name, IPs, hardware address; condition Ready) written on
// the ResourceClaim's status.
//
// Writes happen on worker goroutines, never in the NRI hook: containerd gives a hook 2 s
// and an API server round trip can take longer than that on a loaded control plane.
package claimstatus

import (
	"context"
	"reflect"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// DeviceStatus is what the pod got from one allocated device.
type DeviceStatus struct {
	Pool   string
	Device string
	// InterfaceName, IPs (CIDR form) and HardwareAddress fill networkData.
	InterfaceName   string
	IPs             []string
	HardwareAddress string
	// Ready is the Ready condition; Reason and Message explain it.
	Ready   bool
	Reason  string
	Message string
}

// Update is the full set of this driver's device statuses for one claim. An Update with
// no Devices removes this driver's entries; other drivers' entries are always kept.
type Update struct {
	Namespace string
	Name      string
	UID       string
	Devices   []DeviceStatus
}

// Writer applies Updates asynchronously. Only the latest Update per claim is written, so a
// detach queued behind an attach for the same claim supersedes it.
type Writer struct {
	client kubernetes.Interface
	driver string
	queue  workqueue.TypedRateLimitingInterface[string]

	mu      sync.Mutex
	pending map[string]Update
	// written counts successful applies; tests and metrics read it.
	written int
}

// NewWriter returns a Writer applying as field manager driverName. A nil client yields a
// Writer that drops updates (the plugin runs without API access in some tests).
func NewWriter(client kubernetes.Interface, driverName string) *Writer {
	return &Writer{
		client: client,
		driver: driverName,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](100*time.Millisecond, 30*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "claimstatus"}),
		pending: map[string]Update{},
	}
}

// Enqueue schedules u to be written; it never blocks on the API server.
func (w *Writer) Enqueue(u Update) {
	if w == nil || w.client == nil {
		return
	}
	w.mu.Lock()
	w.pending[u.UID] = u
	w.mu.Unlock()
	w.queue.Add(u.UID)
}

// Run writes queued updates with the given number of workers until ctx ends.
func (w *Writer) Run(ctx context.Context, workers int) {
	if w == nil || w.client == nil {
		<-ctx.Done()
		return
	}
	go func() {
		<-ctx.Done()
		w.queue.ShutDown()
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for w.processNext(ctx) {
			}
		})
	}
	wg.Wait()
}

// Written returns how many updates were applied successfully.
func (w *Writer) Written() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written
}

func (w *Writer) processNext(ctx context.Context) bool {
	uid, shutdown := w.queue.Get()
	if shutdown {
		return false
	}
	defer w.queue.Done(uid)

	w.mu.Lock()
	u, ok := w.pending[uid]
	w.mu.Unlock()
	if !ok {
		w.queue.Forget(uid)
		return true
	}
	logger := klog.FromContext(ctx).WithValues("claim", klog.KRef(u.Namespace, u.Name))
	if err := w.apply(ctx, u); err != nil {
		logger.Error(err, "Writing claim device status failed, will retry")
		w.queue.AddRateLimited(uid)
		return true
	}
	w.mu.Lock()
	// Only forget the entry if no newer update arrived while we were writing.
	if cur, ok := w.pending[uid]; ok && reflect.DeepEqual(cur, u) {
		delete(w.pending, uid)
	}
	w.written++
	w.mu.Unlock()
	w.queue.Forget(uid)
	logger.V(4).Info("Wrote claim device status", "devices", len(u.Devices))
	return true
}
