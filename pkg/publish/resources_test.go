package publish

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/dynamic-resource-allocation/deviceattribute"
	"k8s.io/utils/ptr"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
)

var quantityEqual = cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })

func str(v string) resourceapi.DeviceAttribute   { return resourceapi.DeviceAttribute{StringValue: &v} }
func num(v int64) resourceapi.DeviceAttribute    { return resourceapi.DeviceAttribute{IntValue: &v} }
func boolean(v bool) resourceapi.DeviceAttribute { return resourceapi.DeviceAttribute{BoolValue: &v} }

func bandwidth(q string) map[resourceapi.QualifiedName]resourceapi.DeviceCapacity {
	return map[resourceapi.QualifiedName]resourceapi.DeviceCapacity{CapacityBandwidth: {Value: resource.MustParse(q)}}
}

const (
	stdPCIBusID = deviceattribute.StandardDeviceAttributePCIBusID
	stdPCIeRoot = deviceattribute.StandardDeviceAttributePCIeRoot
	stdNUMANode = deviceattribute.StandardDeviceAttributeNUMANode
)

// discoverExample writes fakesys.Example into a temp folder and discovers it.
func discoverExample(t testing.TB) (root string, devs []inventory.Device) {
	t.Helper()
	root = t.TempDir()
	if err := fakesys.Example().Write(root); err != nil {
		t.Fatalf("writing the example host: %v", err)
	}
	devs, err := inventory.Discover(context.Background(), inventory.Options{HostRoot: root})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	return root, devs
}

func TestResources_DescribesEachDiscoveredDeviceAttributeByAttribute(t *testing.T) {
	root, devs := discoverExample(t)
	res, err := Resources("node-a", devs, root)
	if err != nil {
		t.Fatalf("Resources: %v", err)
	}
	want := []resourceapi.Device{
		{
			Name: "pci-0000-3b-02-0", // RDMA-capable VF
			Attributes: map[resourceapi.QualifiedName]resourceapi.DeviceAttribute{
				AttributeKind: str("vf"), AttributeIfName: str("ens1f0v0"), AttributePCIAddress: str("0000:3b:02.0"),
				AttributeVendor: str("15b3"), AttributeDeviceID: str("1018"), AttributeDriver: str("mlx5_core"),
				AttributePFName: str("ens1f0"), AttributePFPCIAddress: str("0000:3b:00.0"), AttributeVFIndex: num(0),
				AttributeLinkType: str("ethernet"), AttributeRDMA: boolean(true), AttributeMAC: str("ae:5b:0c:3b:02:00"),
				AttributeMTU: num(9000), AttributeOperState: str("up"), AttributeSpeedMbps: num(25000),
				AttributeVirtual: boolean(false), AttributeNUMANode: num(0),
				stdPCIBusID: str("0000:3b:02.0"), stdPCIeRoot: str("pci0000:3a"), stdNUMANode: num(0),
			},
			Capacity: bandwidth("25G"),
		},
		{
			Name: "pci-0000-3b-02-1",
			Attributes: map[resourceapi.QualifiedName]resourceapi.DeviceAttribute{
				AttributeKind: str("vf"), AttributeIfName: str("ens1f0v1"), AttributePCIAddress: str("0000:3b:02.1"),
				AttributeVendor: str("15b3"), AttributeDeviceID: str("1018"), AttributeDriver: str("mlx5_core"),
				AttributePFName: str("ens1f0"), AttributePFPCIAddress: str("0000:3b:00.0"), AttributeVFIndex: num(1),
				AttributeLinkType: str("ethernet"), AttributeRDMA: boolean(false), AttributeMAC: str("ae:5b:0c:3b:02:01"),
				AttributeMTU: num(9000), AttributeOperState: str("up"), AttributeSpeedMbps: num(25000),
				AttributeVirtual: boolean(false), AttributeNUMANode: num(0),
				stdPCIBusID: str("0000:3b:02.1"), stdPCIeRoot: str("pci0000:3a"), stdNUMANode: num(0),
			},
			Capacity: bandwidth("25G"),
		},
		{
			Name: "pci-0000-3b-02-2", // VF on vfio-pci: no interface, so no link facts
			Attributes: map[resourceapi.QualifiedName]resourceapi.DeviceAttribute{
				AttributeKind: str("vf"), AttributePCIAddress: str("0000:3b:02.2"),
				AttributeVendor: str("15b3"), AttributeDeviceID: str("1018"), AttributeDriver: str("vfio-pci"),
				AttributePFName: str("ens1f0"), AttributePFPCIAddress: str("0000:3b:00.0"), AttributeVFIndex: num(2),
				AttributeLinkType: str("ethernet"), AttributeRDMA: boolean(false),
				AttributeVirtual: boolean(false), AttributeNUMANode: num(0),
				stdPCIBusID: str("0000:3b:02.2"), stdPCIeRoot: str("pci0000:3a"), stdNUMANode: num(0),
			},
		},
		{
			Name: "pci-0000-3b-02-3", // link down: speed unknown, no bandwidth
			Attributes: map[resourceapi.QualifiedName]resourceapi.DeviceAttribute{
				AttributeKind: str("vf"), AttributeIfName: str("ens1f0v3"), AttributePCIAddress: str("0000:3b:02.3"),
				AttributeVendor: str("15b3"), AttributeDeviceID: str("1018"), AttributeDriver: str("mlx5_core"),
				AttributePFName: str("ens1f0"), AttributePFPCIAddress: str("0000:3b:00.0"), AttributeVFIndex: num(3),
				AttributeLinkType: str("ethernet"), AttributeRDMA: boolean(false), AttributeMAC: str("ae:5b:0c:3b:02:03"),
				AttributeMTU: num(1500), AttributeOperState: str("down"),
				AttributeVirtual: boolean(false), AttributeNUMANode: num(0),
				stdPCIBusID: str("0000:3b:02.3"), stdPCIeRoot: str("pci0000:3a"), stdNUMANode: num(0),
			},
		},
		{
			Name: "pci-0000-af-00-0", // plain NIC on the other socket
			Attributes: map[resourceapi.QualifiedName]resourceapi.DeviceAttribute{
				AttributeKind: str("nic"), AttributeIfName: str("ens3"), AttributePCIAddress: str("0000:af:00.0"),
				AttributeVendor: str("8086"), AttributeDeviceID: str("10d3"), AttributeDriver: str("e1000e"),
				AttributeLinkType: str("ethernet"), AttributeRDMA: boolean(false), AttributeMAC: str("3c:fd:fe:af:00:00"),
				AttributeMTU: num(1500), AttributeOperState: str("up"), AttributeSpeedMbps: num(1000),
				AttributeVirtual: boolean(false), AttributeNUMANode: num(1),
				stdPCIBusID: str("0000:af:00.0"), stdPCIeRoot: str("pci0000:ae"), stdNUMANode: num(1),
			},
			Capacity: bandwidth("1G"),
		},
		{
			Name: "pci-0000-d8-00-0", // SR-IOV capable PF with no VFs: handed out whole
			Attributes: map[resourceapi.QualifiedName]resourceapi.DeviceAttribute{
				AttributeKind: str("pf"), AttributeIfName: str("ens4f0"), AttributePCIAddress: str("0000:d8:00.0"),
				AttributeVendor: str("8086"), AttributeDeviceID: str("1592"), AttributeDriver: str("ice"),
				AttributeSRIOVTotalVFs: num(64), AttributeSRIOVNumVFs: num(0),
				AttributeLinkType: str("ethernet"), AttributeRDMA: boolean(false), AttributeMAC: str("b4:96:91:d8:00:00"),
				AttributeMTU: num(1500), AttributeOperState: str("up"), AttributeSpeedMbps: num(100000),
				AttributeVirtual: boolean(false), AttributeNUMANode: num(1),
				stdPCIBusID: str("0000:d8:00.0"), stdPCIeRoot: str("pci0000:d7"), stdNUMANode: num(1),
			},
			Capacity: bandwidth("100G"),
		},
		{
			Name: "veth-a", // software: no PCI, no NUMA, no speed
			Attributes: map[resourceapi.QualifiedName]resourceapi.DeviceAttribute{
				AttributeKind: str("nic"), AttributeIfName: str("veth-a"),
				AttributeLinkType: str("ethernet"), AttributeRDMA: boolean(false), AttributeMAC: str("7a:1c:3e:00:00:0a"),
				AttributeMTU: num(1500), AttributeOperState: str("up"), AttributeVirtual: boolean(true),
			},
		},
	}
	pool, ok := res.Pools["node-a"]
	if !ok || len(res.Pools) != 1 {
		t.Fatalf("pools = %v, want exactly one named after the node", res.Pools)
	}
	if len(pool.Slices) != 1 {
		t.Fatalf("got %d slices, want 1", len(pool.Slices))
	}
	if diff := cmp.Diff(want, pool.Slices[0].Devices, quantityEqual); diff != "" {
		t.Errorf("published devices differ (-want +got):\n%s", diff)
	}
}

// maximalDevice has every fact set, on a PCI function the fake host has.
func maximalDevice() inventory.Device {
	return inventory.Device{
		Name: "pci-0000-3b-02-0", Kind: inventory.KindVF, IfName: "ens1f0v0", PCIAddress: "0000:3b:02.0",
		Vendor: "15b3", DeviceID: "1018", Driver: "mlx5_core", PFName: "ens1f0", PFPCIAddress: "0000:3b:00.0",
		VFIndex: ptr.To(0), SRIOVTotalVFs: ptr.To(8), SRIOVNumVFs: ptr.To(4), LinkType: inventory.LinkTypeEthernet,
		RDMA: true, RDMADevices: []string{"mlx5_2"}, MAC: "ae:5b:0c:3b:02:00", MTU: 9000, OperState: "up",
		SpeedMbps: 25000, Virtual: false, NUMANode: ptr.To(0), IOMMUGroup: "2",
	}
}

func TestResources_StaysWithinTheAPILimitOfAttributesPerDevice(t *testing.T) {
	root, _ := discoverExample(t)
	res, err := Resources("node-a", []inventory.Device{maximalDevice()}, root)
	if err != nil {
		t.Fatalf("Resources: %v", err)
	}
	d := res.Pools["node-a"].Slices[0].Devices[0]
	n := len(d.Attributes) + len(d.Capacity)
	if n > resourceapi.ResourceSliceMaxAttributesAndCapacitiesPerDevice {
		t.Fatalf("a device with every fact has %d attributes and capacities, the API allows %d",
			n, resourceapi.ResourceSliceMaxAttributesAndCapacitiesPerDevice)
	}
	// 19 netclaim.dev attributes, 3 standard ones, 1 capacity: nothing was dropped.
	if n != 23 {
		t.Fatalf("a device with every fact has %d attributes and capacities, want 23: %v", n, slices.Sorted(maps.Keys(d.Attributes)))
	}
	for name, a := range d.Attributes {
		if a.StringValue != nil && len(*a.StringValue) > resourceapi.DeviceAttributeMaxValueLength {
			t.Errorf("attribute %s is %d bytes, the API allows %d", name, len(*a.StringValue), resourceapi.DeviceAttributeMaxValueLength)
		}
	}
}

func TestResources_OmitsUnknownAndOverlongFacts(t *testing.T) {
	d := inventory.Device{
		Name: "veth-x", Kind: inventory.KindNIC, IfName: "veth-x", Virtual: true,
		Driver: strings.Repeat("d", resourceapi.DeviceAttributeMaxValueLength+1), // too long: left out
		MTU:    0, SpeedMbps: 0, NUMANode: nil, OperState: "",
	}
	res, err := Resources("node-a", []inventory.Device{d}, t.TempDir())
	if err != nil {
		t.Fatalf("Resources: %v", err)
	}
	got := res.Pools["node-a"].Slices[0].Devices[0]
	want := resourceapi.Device{
		Name: "veth-x",
		Attributes: map[resourceapi.QualifiedName]resourceapi.DeviceAttribute{
			AttributeKind: str("nic"), AttributeIfName: str("veth-x"),
			AttributeRDMA: boolean(false), AttributeVirtual: boolean(true),
		},
	}
	if diff := cmp.Diff(want, got, quantityEqual); diff != "" {
		t.Errorf("device differs (-want +got):\n%s", diff)
	}
}

func TestResources_FailsWhenAPCIDeviceHasNoSysfsEntry(t *testing.T) {
	// The PCIe root comes from sysfs; a device that is not there cannot be described right.
	_, err := Resources("node-a", []inventory.Device{maximalDevice()}, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "pci-0000-3b-02-0") {
		t.Fatalf("Resources error = %v, want one naming the device", err)
	}
}

func TestResources_RejectsDuplicateNamesAndAnEmptyNode(t *testing.T) {
	d := inventory.Device{Name: "veth-x", Kind: inventory.KindNIC}
	if _, err := Resources("node-a", []inventory.Device{d, d}, "/"); err == nil {
		t.Error("Resources accepted two devices with the same name")
	}
	if _, err := Resources("", []inventory.Device{d}, "/"); err == nil {
		t.Error("Resources accepted an empty node name")
	}
}

func TestResources_SameInputSameOutputWhateverTheOrder(t *testing.T) {
	root, devs := discoverExample(t)
	first, err := Resources("node-a", devs, root)
	if err != nil {
		t.Fatalf("Resources: %v", err)
	}
	reversed := slices.Clone(devs)
	slices.Reverse(reversed)
	second, err := Resources("node-a", reversed, root)
	if err != nil {
		t.Fatalf("Resources: %v", err)
	}
	if diff := cmp.Diff(first, second, quantityEqual); diff != "" {
		t.Errorf("Resources is not deterministic (-first +second):\n%s", diff)
	}
}

// virtualDevices makes n software devices, which need no sysfs to be described.
func virtualDevices(n int) []inventory.Device {
	devs := make([]inventory.Device, n)
	for i := range devs {
		devs[i] = inventory.Device{Name: fmt.Sprintf("veth-%04d", i), Kind: inventory.KindNIC, Virtual: true}
	}
	return devs
}

func TestResources_SplitsIntoSlicesOfAtMost128(t *testing.T) {
	tests := []struct {
		devices    int
		wantSlices []int
	}{
		{devices: 0, wantSlices: []int{0}}, // an empty pool still has one slice
		{devices: 1, wantSlices: []int{1}},
		{devices: 128, wantSlices: []int{128}},
		{devices: 129, wantSlices: []int{128, 1}},
		{devices: 300, wantSlices: []int{128, 128, 44}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.devices), func(t *testing.T) {
			res, err := Resources("node-a", virtualDevices(tt.devices), "/")
			if err != nil {
				t.Fatalf("Resources: %v", err)
			}
			var sizes []int
			var names []string
			for _, s := range res.Pools["node-a"].Slices {
				sizes = append(sizes, len(s.Devices))
				for _, d := range s.Devices {
					names = append(names, d.Name)
				}
			}
			if diff := cmp.Diff(tt.wantSlices, sizes); diff != "" {
				t.Errorf("slice sizes differ (-want +got):\n%s", diff)
			}
			if !slices.IsSorted(names) || len(names) != tt.devices {
				t.Errorf("devices are not all present in name order across slices: %v", names)
			}
		})
	}
}

func TestSplitIntoSlices_At64WhenASliceHasTaintsOrCounters(t *testing.T) {
	plain := func(i int) resourceapi.Device { return resourceapi.Device{Name: fmt.Sprintf("d-%04d", i)} }
	tainted := func(i int) resourceapi.Device {
		d := plain(i)
		d.Taints = []resourceapi.DeviceTaint{{Key: "example.com/broken", Effect: resourceapi.DeviceTaintEffectNoSchedule}}
		return d
	}
	counting := func(i int) resourceapi.Device {
		d := plain(i)
		d.ConsumesCounters = []resourceapi.DeviceCounterConsumption{{CounterSet: "bw"}}
		return d
	}
	devices := func(n int, special map[int]func(int) resourceapi.Device) []resourceapi.Device {
		out := make([]resourceapi.Device, n)
		for i := range out {
			out[i] = plain(i)
			if f, ok := special[i]; ok {
				out[i] = f(i)
			}
		}
		return out
	}
	tests := []struct {
		name       string
		devices    []resourceapi.Device
		wantSlices []int
	}{
		{name: "first device tainted", devices: devices(129, map[int]func(int) resourceapi.Device{0: tainted}), wantSlices: []int{64, 65}},
		{name: "taint after 100 plain devices starts a new slice", devices: devices(129, map[int]func(int) resourceapi.Device{100: tainted}), wantSlices: []int{100, 29}},
		{name: "counters limit the slice too", devices: devices(130, map[int]func(int) resourceapi.Device{10: counting}), wantSlices: []int{64, 66}},
		{name: "every device tainted", devices: devices(200, map[int]func(int) resourceapi.Device{0: tainted, 64: tainted, 128: tainted, 192: tainted}), wantSlices: []int{64, 64, 64, 8}},
		{name: "no special devices", devices: devices(300, nil), wantSlices: []int{128, 128, 44}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sizes []int
			for _, s := range splitIntoSlices(tt.devices) {
				sizes = append(sizes, len(s.Devices))
				limit := MaxDevicesPerSlice
				if slices.ContainsFunc(s.Devices, usesAdvancedFeatures) {
					limit = MaxDevicesPerSliceWithAdvancedFeatures
				}
				if len(s.Devices) > limit {
					t.Errorf("a slice has %d devices, its limit is %d", len(s.Devices), limit)
				}
			}
			if diff := cmp.Diff(tt.wantSlices, sizes); diff != "" {
				t.Errorf("slice sizes differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSlices_RendersWhatTheControllerWouldWrite(t *testing.T) {
	res, err := Resources("node-a", virtualDevices(129), "/")
	if err != nil {
		t.Fatalf("Resources: %v", err)
	}
	got := Slices("node-a", res)
	if len(got) != 2 {
		t.Fatalf("got %d ResourceSlices, want 2", len(got))
	}
	for i, s := range got {
		want := resourceapi.ResourceSlice{
			Spec: resourceapi.ResourceSliceSpec{
				Driver:   "netclaim.dev",
				Pool:     resourceapi.ResourcePool{Name: "node-a", Generation: 1, ResourceSliceCount: 2},
				NodeName: ptr.To("node-a"),
			},
		}
		want.APIVersion, want.Kind, want.Name = "resource.k8s.io/v1", "ResourceSlice", fmt.Sprintf("node-a-netclaim.dev-%d", i)
		if diff := cmp.Diff(want, s, cmpopts.IgnoreFields(resourceapi.ResourceSliceSpec{}, "Devices")); diff != "" {
			t.Errorf("slice %d differs (-want +got):\n%s", i, diff)
		}
		if diff := cmp.Diff(res.Pools["node-a"].Slices[i].Devices, s.Spec.Devices, quantityEqual); diff != "" {
			t.Errorf("slice %d devices differ from the pool's (-pool +slice):\n%s", i, diff)
		}
	}
}
