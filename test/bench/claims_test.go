package bench

import (
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/version"
	"github.com/netclaim/netclaim/test/netnstest"
)

const (
	nodeName  = "bench-node"
	claimNS   = "bench"
	className = "bench-net"
)

// The network as an admin defines it in a DeviceClass (MTU, routes) and what the pod's
// claim adds (its interface name and addresses); prepare merges them, class first.
const (
	classConfigJSON = `{"apiVersion":"netclaim.dev/v1alpha1","kind":"NetworkConfig",` +
		`"interface":{"mtu":1400},"routes":[{"destination":"198.51.100.0/24","gateway":"192.0.2.1"}]}`
	claimConfigJSON = `{"apiVersion":"netclaim.dev/v1alpha1","kind":"NetworkConfig",` +
		`"interface":{"name":"net1"},"addresses":["192.0.2.10/24","2001:db8::10/64"]}`
)

// nicDevice is the inventory entry discovery makes for a veth standing in for a NIC.
func nicDevice(nic netnstest.NIC) inventory.Device {
	return inventory.Device{Name: nic.Name, Kind: inventory.KindNIC, IfName: nic.Name, Driver: "veth",
		MAC: nic.MAC, MTU: nic.MTU, Virtual: true}
}

func inventoryOf(devices ...inventory.Device) func(string) (inventory.Device, bool) {
	byName := make(map[string]inventory.Device, len(devices))
	for _, d := range devices {
		byName[d.Name] = d
	}
	return func(name string) (inventory.Device, bool) {
		d, ok := byName[name]
		return d, ok
	}
}

// allocatedClaim is a claim named name as kube-scheduler leaves it for the kubelet:
// device allocated from this node's pool, the class and claim configs in the allocation
// (class first), reserved for one pod.
func allocatedClaim(name, device string) *resourceapi.ResourceClaim {
	opaque := func(source resourceapi.AllocationConfigSource, raw string) resourceapi.DeviceAllocationConfiguration {
		return resourceapi.DeviceAllocationConfiguration{
			Source: source, Requests: []string{"net"},
			DeviceConfiguration: resourceapi.DeviceConfiguration{Opaque: &resourceapi.OpaqueDeviceConfiguration{
				Driver: version.DriverName, Parameters: runtime.RawExtension{Raw: []byte(raw)},
			}},
		}
	}
	return &resourceapi.ResourceClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: claimNS, Name: name, UID: types.UID("claim-uid-" + name)},
		Spec: resourceapi.ResourceClaimSpec{Devices: resourceapi.DeviceClaim{
			Requests: []resourceapi.DeviceRequest{{Name: "net", Exactly: &resourceapi.ExactDeviceRequest{DeviceClassName: className}}},
			Config: []resourceapi.DeviceClaimConfiguration{{
				Requests: []string{"net"},
				DeviceConfiguration: resourceapi.DeviceConfiguration{Opaque: &resourceapi.OpaqueDeviceConfiguration{
					Driver: version.DriverName, Parameters: runtime.RawExtension{Raw: []byte(claimConfigJSON)},
				}},
			}},
		}},
		Status: resourceapi.ResourceClaimStatus{
			Allocation: &resourceapi.AllocationResult{Devices: resourceapi.DeviceAllocationResult{
				Results: []resourceapi.DeviceRequestAllocationResult{{Request: "net", Driver: version.DriverName, Pool: nodeName, Device: device}},
				Config: []resourceapi.DeviceAllocationConfiguration{
					opaque(resourceapi.AllocationConfigSourceClass, classConfigJSON),
					opaque(resourceapi.AllocationConfigSourceClaim, claimConfigJSON),
				},
			}},
			ReservedFor: []resourceapi.ResourceClaimConsumerReference{{Resource: "pods", Name: "pod-" + name, UID: types.UID("pod-uid-" + name)}},
		},
	}
}
