package publish

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/netclaim/netclaim/test/slicetest"

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
			client := slicetest.FakeAPIServer()
			queue := slicetest.NewObservedQueue()
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

			queue.WaitForSync(t, 0)
			if got := slicetest.CountWrites(client.Actions()); got != (slicetest.Writes{Creates: tt.wantSlices}) {
				t.Fatalf("first publish: %+v, want %d creates", got, tt.wantSlices)
			}

			client.ClearActions()
			rescan := mustResources(t, slices.Clone(tt.devices), root)
			synced := queue.Syncs()
			ctrl.Update(&rescan)
			queue.WaitForSync(t, synced)
			if got := slicetest.CountWrites(client.Actions()); got != (slicetest.Writes{}) {
				t.Errorf("publishing an unchanged rescan wrote to the API: %+v", got)
			}

			client.ClearActions()
			changed := slices.Clone(tt.devices)
			changed[0].MTU++
			synced = queue.Syncs()
			updated := mustResources(t, changed, root)
			ctrl.Update(&updated)
			queue.WaitForSync(t, synced)
			if got := slicetest.CountWrites(client.Actions()); got != (slicetest.Writes{Updates: 1}) {
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
