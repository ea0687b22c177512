package publish

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/dynamic-resource-allocation/deviceattribute"
	"k8s.io/dynamic-resource-allocation/resourceslice"

	"github.com/netclaim/netclaim/pkg/inventory"
)

// Resources describes a node's devices as one pool named after the node. sysRoot is the
// host root the devices were discovered under ("/" or "" on a live host, as for
// discovery); its sys/ folder answers the PCIe root of each PCI device. The result depends only on its inputs, in
// device name order, so that publishing an unchanged rescan writes nothing to the API.
func Resources(nodeName string, devs []inventory.Device, sysRoot string) (resourceslice.DriverResources, error) {
	if nodeName == "" {
		return resourceslice.DriverResources{}, fmt.Errorf("node name is empty; the pool is named after the node")
	}
	sorted := slices.Clone(devs)
	slices.SortFunc(sorted, func(a, b inventory.Device) int { return strings.Compare(a.Name, b.Name) })
	sysfs := deviceattribute.WithFSFromRoot(filepath.Join(cmp.Or(sysRoot, "/"), "sys"))
	devices := make([]resourceapi.Device, 0, len(sorted))
	for i, d := range sorted {
		if i > 0 && sorted[i-1].Name == d.Name {
			return resourceslice.DriverResources{}, fmt.Errorf("two devices are named %q; device names must be unique in the node's pool", d.Name)
		}
		dev, err := deviceDescription(d, sysfs)
		if err != nil {
			return resourceslice.DriverResources{}, err
		}
		devices = append(devices, dev)
	}
	return resourceslice.DriverResources{
		Pools: map[string]resourceslice.Pool{
			nodeName: {Slices: splitIntoSlices(devices)},
		},
	}, nil
}
