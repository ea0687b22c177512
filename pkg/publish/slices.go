package publish

import (
	"fmt"
	"slices"

	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/dynamic-resource-allocation/resourceslice"
	"k8s.io/utils/ptr"

	"github.com/netclaim/netclaim/pkg/version"
)

const (
	// MaxDevicesPerSlice is the API's limit on devices in one ResourceSlice.
	MaxDevicesPerSlice = resourceapi.ResourceSliceMaxDevices // 128
	// MaxDevicesPerSliceWithAdvancedFeatures is the lower limit that applies as soon as one
	// device of the slice has taints or consumes counters (or list-typed attributes):
	// those make every device larger, and the API bounds the size of a slice.
	MaxDevicesPerSliceWithAdvancedFeatures = resourceapi.ResourceSliceMaxDevicesWithAdvancedFeatures // 64
)

// splitIntoSlices cuts the devices, in order, into as few slices as the limits allow. A pool
// always has at least one slice, even an empty one: an empty pool tells the scheduler the
// driver runs and has no devices, which "no pool" does not.
func splitIntoSlices(devices []resourceapi.Device) []resourceslice.Slice {
	out := []resourceslice.Slice{{}}
	advanced := false
	for _, d := range devices {
		current := &out[len(out)-1]
		limit := MaxDevicesPerSlice
		if advanced || usesAdvancedFeatures(d) {
			limit = MaxDevicesPerSliceWithAdvancedFeatures
		}
		if len(current.Devices) >= limit {
			out = append(out, resourceslice.Slice{})
			current = &out[len(out)-1]
			advanced = false
		}
		current.Devices = append(current.Devices, d)
		advanced = advanced || usesAdvancedFeatures(d)
	}
	return out
}

func usesAdvancedFeatures(d resourceapi.Device) bool {
	if len(d.Taints) > 0 || len(d.ConsumesCounters) > 0 {
		return true
	}
	for _, a := range d.Attributes {
		if a.IntValues != nil || a.BoolValues != nil || a.StringValues != nil || a.VersionValues != nil {
			return true
		}
	}
	return false
}

// Slices renders what the resourceslice controller would write for the node's pools: the
// ResourceSlice objects, with deterministic names (<pool>-netclaim.dev-<index>) where the
// controller lets the API server generate them. Pools in name order.
func Slices(nodeName string, res resourceslice.DriverResources) []resourceapi.ResourceSlice {
	poolNames := make([]string, 0, len(res.Pools))
	for name := range res.Pools {
		poolNames = append(poolNames, name)
	}
	slices.Sort(poolNames)
	var out []resourceapi.ResourceSlice
	for _, poolName := range poolNames {
		pool := res.Pools[poolName]
		for i, s := range pool.Slices {
			out = append(out, resourceapi.ResourceSlice{
				TypeMeta:   metav1.TypeMeta{APIVersion: resourceapi.SchemeGroupVersion.String(), Kind: "ResourceSlice"},
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%s-%d", poolName, version.DriverName, i)},
				Spec: resourceapi.ResourceSliceSpec{
					Driver: version.DriverName,
					Pool: resourceapi.ResourcePool{
						Name:               poolName,
						Generation:         max(pool.Generation, 1),
						ResourceSliceCount: int64(len(pool.Slices)),
					},
					NodeName:               ptr.To(nodeName),
					Devices:                s.Devices,
					SharedCounters:         s.SharedCounters,
					PerDeviceNodeSelection: s.PerDeviceNodeSelection,
				},
			})
		}
	}
	return out
}
