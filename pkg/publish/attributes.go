// Package publish turns discovered devices (pkg/inventory) into the resource.k8s.io/v1
// ResourceSlices a node publishes: one pool named after the node, split into slices the API
// accepts, each device described by attributes and a bandwidth capacity. A Publisher
// rediscovers the node periodically and republishes only when something changed.
package publish

import (
	"fmt"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/dynamic-resource-allocation/deviceattribute"
	"k8s.io/utils/ptr"

	"github.com/netclaim/netclaim/pkg/inventory"
)

// Attribute and capacity names. They are unqualified, which the API defines as belonging
// to the publishing driver's domain: "kind" here is "netclaim.dev/kind" everywhere else,
// and CEL reads it as device.attributes["netclaim.dev"].kind. Standard attributes of other
// domains (resource.kubernetes.io/...) are qualified by deviceattribute.
const (
	AttributeKind          resourceapi.QualifiedName = "kind"
	AttributeIfName        resourceapi.QualifiedName = "ifName"
	AttributePCIAddress    resourceapi.QualifiedName = "pciAddress"
	AttributeVendor        resourceapi.QualifiedName = "vendor"
	AttributeDeviceID      resourceapi.QualifiedName = "deviceID"
	AttributeDriver        resourceapi.QualifiedName = "driver"
	AttributePFName        resourceapi.QualifiedName = "pfName"
	AttributePFPCIAddress  resourceapi.QualifiedName = "pfPciAddress"
	AttributeVFIndex       resourceapi.QualifiedName = "vfIndex"
	AttributeSRIOVTotalVFs resourceapi.QualifiedName = "sriovTotalVFs"
	AttributeSRIOVNumVFs   resourceapi.QualifiedName = "sriovNumVFs"
	AttributeLinkType      resourceapi.QualifiedName = "linkType"
	AttributeRDMA          resourceapi.QualifiedName = "rdma"
	AttributeMAC           resourceapi.QualifiedName = "mac"
	AttributeMTU           resourceapi.QualifiedName = "mtu"
	AttributeOperState     resourceapi.QualifiedName = "operState"
	AttributeSpeedMbps     resourceapi.QualifiedName = "speedMbps"
	AttributeVirtual       resourceapi.QualifiedName = "virtual"
	AttributeNUMANode      resourceapi.QualifiedName = "numaNode"

	// CapacityBandwidth is the link speed in bits per second (a 25G link publishes "25G"),
	// the unit network people write and the one later bandwidth requests are made in.
	CapacityBandwidth resourceapi.QualifiedName = "bandwidth"
)

// deviceDescription builds the attributes and capacity of one device. A fact that is
// unknown, or a string the API would reject (over 64 bytes), is left out rather than
// published wrong: selectors then treat the device as not matching, never as matching
// by accident.
func deviceDescription(d inventory.Device, sysfs deviceattribute.MachineModifier) (resourceapi.Device, error) {
	a := attributes{}
	a.string(AttributeKind, string(d.Kind))
	a.string(AttributeIfName, d.IfName)
	a.string(AttributePCIAddress, d.PCIAddress)
	a.string(AttributeVendor, d.Vendor)
	a.string(AttributeDeviceID, d.DeviceID)
	a.string(AttributeDriver, d.Driver)
	a.string(AttributePFName, d.PFName)
	a.string(AttributePFPCIAddress, d.PFPCIAddress)
	a.optionalInt(AttributeVFIndex, d.VFIndex)
	a.optionalInt(AttributeSRIOVTotalVFs, d.SRIOVTotalVFs)
	a.optionalInt(AttributeSRIOVNumVFs, d.SRIOVNumVFs)
	a.string(AttributeLinkType, string(d.LinkType))
	a.bool(AttributeRDMA, d.RDMA)
	a.string(AttributeMAC, d.MAC)
	a.positiveInt(AttributeMTU, d.MTU)
	a.string(AttributeOperState, d.OperState)
	a.positiveInt(AttributeSpeedMbps, d.SpeedMbps)
	a.bool(AttributeVirtual, d.Virtual)
	a.optionalInt(AttributeNUMANode, d.NUMANode)
	if err := a.standard(d, sysfs); err != nil {
		return resourceapi.Device{}, fmt.Errorf("device %s: %w", d.Name, err)
	}
	dev := resourceapi.Device{Name: d.Name, Attributes: a}
	if d.SpeedMbps > 0 {
		bitsPerSecond := int64(d.SpeedMbps) * 1_000_000
		dev.Capacity = map[resourceapi.QualifiedName]resourceapi.DeviceCapacity{
			CapacityBandwidth: {Value: *resource.NewQuantity(bitsPerSecond, resource.DecimalSI)},
		}
	}
	if n := len(dev.Attributes) + len(dev.Capacity); n > resourceapi.ResourceSliceMaxAttributesAndCapacitiesPerDevice {
		return resourceapi.Device{}, fmt.Errorf("device %s: %d attributes and capacities, the API allows %d",
			d.Name, n, resourceapi.ResourceSliceMaxAttributesAndCapacitiesPerDevice)
	}
	return dev, nil
}

type attributes map[resourceapi.QualifiedName]resourceapi.DeviceAttribute

func (a attributes) string(name resourceapi.QualifiedName, v string) {
	if v == "" || len(v) > resourceapi.DeviceAttributeMaxValueLength {
		return
	}
	a[name] = resourceapi.DeviceAttribute{StringValue: &v}
}

func (a attributes) bool(name resourceapi.QualifiedName, v bool) {
	a[name] = resourceapi.DeviceAttribute{BoolValue: &v}
}

func (a attributes) optionalInt(name resourceapi.QualifiedName, v *int) {
	if v != nil {
		a[name] = resourceapi.DeviceAttribute{IntValue: ptr.To(int64(*v))}
	}
}

// positiveInt publishes facts where 0 means unknown (MTU, speed).
func (a attributes) positiveInt(name resourceapi.QualifiedName, v int) {
	if v > 0 {
		a[name] = resourceapi.DeviceAttribute{IntValue: ptr.To(int64(v))}
	}
}

// standard adds the resource.kubernetes.io attributes other drivers publish too, so that a
// claim can align a NIC with a GPU on the same PCIe root or NUMA node (matchAttribute).
func (a attributes) standard(d inventory.Device, sysfs deviceattribute.MachineModifier) error {
	if d.PCIAddress != "" {
		busID, err := deviceattribute.GetPCIBusIDAttribute(d.PCIAddress)
		if err != nil {
			return err
		}
		a[busID.Name] = busID.Value
		root, err := deviceattribute.GetPCIeRootAttributeByPCIBusID(d.PCIAddress, sysfs)
		if err != nil {
			return err
		}
		a[root.Name] = root.Value
	}
	// Scalar form: the list form needs the DRAListTypeAttributes gate on the cluster.
	// No NUMA affinity means no attribute: -1 would match every other NUMA-less device.
	if d.NUMANode != nil {
		numa, err := deviceattribute.GetNUMANodeAttribute(*d.NUMANode, deviceattribute.ScalarAttribute)
		if err != nil {
			return err
		}
		a[numa.Name] = numa.Value
	}
	return nil
}
