package driver

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

// This file builds ResourceClaims the way kube-scheduler leaves them for the kubelet:
// spec with requests and claim configs, status.allocation with results from this node's
// pool, class and claim configs (class first), and reservedFor naming the pod.

const (
	testDriver = "netclaim.dev"
	testNode   = "node-a"
	testNS     = "telco"
	testClass  = "netclaim-vf"
)

// claimSpec describes a claim; build turns it into the API object.
type claimSpec struct {
	name string
	// pods the claim is reserved for (pod names; UIDs are derived). Usually one.
	pods    []string
	results []resourceapi.DeviceRequestAllocationResult
	// configs in allocation order (build does not reorder them).
	configs []resourceapi.DeviceAllocationConfiguration
	// unallocated leaves status.allocation nil.
	unallocated bool
}

func claimUID(name string) types.UID { return types.UID("uid-" + name) }
func podUID(name string) types.UID   { return types.UID("pod-uid-" + name) }

// result is an allocation result of device for request on this node.
func result(request, device string) resourceapi.DeviceRequestAllocationResult {
	return resourceapi.DeviceRequestAllocationResult{Request: request, Driver: testDriver, Pool: testNode, Device: device}
}

// classConfig is an opaque NetworkConfig from the DeviceClass, written as YAML.
func classConfig(t testing.TB, yamlText string, requests ...string) resourceapi.DeviceAllocationConfiguration {
	return opaqueConfig(t, resourceapi.AllocationConfigSourceClass, yamlText, requests)
}

// claimConfig is an opaque NetworkConfig from the ResourceClaim, written as YAML.
func claimConfig(t testing.TB, yamlText string, requests ...string) resourceapi.DeviceAllocationConfiguration {
	return opaqueConfig(t, resourceapi.AllocationConfigSourceClaim, yamlText, requests)
}

func opaqueConfig(t testing.TB, source resourceapi.AllocationConfigSource, yamlText string, requests []string) resourceapi.DeviceAllocationConfiguration {
	t.Helper()
	raw, err := yaml.YAMLToJSON([]byte(yamlText))
	if err != nil {
		t.Fatalf("test config is not YAML: %v", err)
	}
	return resourceapi.DeviceAllocationConfiguration{
		Source:   source,
		Requests: requests,
		DeviceConfiguration: resourceapi.DeviceConfiguration{
			Opaque: &resourceapi.OpaqueDeviceConfiguration{Driver: testDriver, Parameters: runtime.RawExtension{Raw: raw}},
		},
	}
}

func (s claimSpec) build() *resourceapi.ResourceClaim {
	claim := &resourceapi.ResourceClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: s.name, UID: claimUID(s.name)},
	}
	seen := map[string]bool{}
	for _, r := range s.results {
		req := parentRequest(r.Request)
		if seen[req] {
			continue
		}
		seen[req] = true
		claim.Spec.Devices.Requests = append(claim.Spec.Devices.Requests, resourceapi.DeviceRequest{
			Name:    req,
			Exactly: &resourceapi.ExactDeviceRequest{DeviceClassName: testClass, AllocationMode: resourceapi.DeviceAllocationModeExactCount, Count: 1},
		})
	}
	for _, c := range s.configs {
		if c.Source == resourceapi.AllocationConfigSourceClaim {
			claim.Spec.Devices.Config = append(claim.Spec.Devices.Config, resourceapi.DeviceClaimConfiguration{
				Requests: c.Requests, DeviceConfiguration: c.DeviceConfiguration,
			})
		}
	}
	if !s.unallocated {
		now := metav1.Now()
		claim.Status.Allocation = &resourceapi.AllocationResult{
			Devices: resourceapi.DeviceAllocationResult{Results: s.results, Config: s.configs},
			NodeSelector: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{testNode}}},
			}}},
			AllocationTimestamp: &now,
		}
	}
	for _, pod := range s.pods {
		claim.Status.ReservedFor = append(claim.Status.ReservedFor, resourceapi.ResourceClaimConsumerReference{
			Resource: "pods", Name: pod, UID: podUID(pod),
		})
	}
	return claim
}

// buildAll builds every spec, in order.
func buildAll(specs ...claimSpec) []*resourceapi.ResourceClaim {
	out := make([]*resourceapi.ResourceClaim, len(specs))
	for i, s := range specs {
		out[i] = s.build()
	}
	return out
}
