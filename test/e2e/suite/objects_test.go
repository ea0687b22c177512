package suite

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// podImage is never pulled: the node agent runs no containers, only the pod's network.
const podImage = "e2e.invalid/nothing-runs:1"

// CEL for device classes and selectors.
const (
	celNetclaim = `device.driver == "netclaim.dev"`
	celVF       = celNetclaim + ` && device.attributes["netclaim.dev"].kind == "vf"`
	celNIC      = celNetclaim + ` && device.attributes["netclaim.dev"].kind == "nic"`
)

func celOnPF(pf string) string { return `device.attributes["netclaim.dev"].pfName == "` + pf + `"` }

// request asks for exactly one device of class, narrowed by the CEL selectors.
func request(name, class string, cel ...string) resourceapi.DeviceRequest {
	r := resourceapi.DeviceRequest{Name: name, Exactly: &resourceapi.ExactDeviceRequest{DeviceClassName: class}}
	for _, expr := range cel {
		r.Exactly.Selectors = append(r.Exactly.Selectors, resourceapi.DeviceSelector{CEL: &resourceapi.CELDeviceSelector{Expression: expr}})
	}
	return r
}

// matchAttribute constrains all requests to devices with the same value of attr.
func matchAttribute(attr string) resourceapi.DeviceConstraint {
	name := resourceapi.FullyQualifiedName(attr)
	return resourceapi.DeviceConstraint{MatchAttribute: &name}
}

// opaqueConfig hands params (a v1alpha1.NetworkConfig, or a raw map for configs the type
// cannot express, like unknown fields) to netclaim for the named requests, encoded as
// kubectl would: object keys sorted. That matters because the API server stores opaque
// parameters byte for byte; a server-side apply of the claim's status would re-encode them
// with sorted keys and be refused as a change of the immutable status.allocation (see
// TestClaimConfigWithUnsortedKeys_StatusWritten, which uses e2eutil.RawConfig directly).
func opaqueConfig(t *testing.T, params any, requests ...string) resourceapi.DeviceClaimConfiguration {
	t.Helper()
	raw, err := json.Marshal(params)
	if err != nil {
		t.Fatalf("encoding config: %v", err)
	}
	// encoding/json writes map keys sorted; a struct's fields come in declaration order.
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatalf("re-decoding config: %v", err)
	}
	if raw, err = json.Marshal(generic); err != nil {
		t.Fatalf("encoding config: %v", err)
	}
	return e2eutil.RawConfig(raw, requests...)
}

func claimSpec(requests []resourceapi.DeviceRequest, constraints []resourceapi.DeviceConstraint, config ...resourceapi.DeviceClaimConfiguration) resourceapi.ResourceClaimSpec {
	return resourceapi.ResourceClaimSpec{Devices: resourceapi.DeviceClaim{
		Requests: requests, Constraints: constraints, Config: config,
	}}
}

func resourceClaim(ns, name string, spec resourceapi.ResourceClaimSpec) *resourceapi.ResourceClaim {
	return &resourceapi.ResourceClaim{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
}

// podClaim names a claim in a pod: fromTemplate picks ResourceClaimTemplateName, else
// ResourceClaimName.
func podClaim(name, source string, fromTemplate bool) corev1.PodResourceClaim {
	if fromTemplate {
		return corev1.PodResourceClaim{Name: name, ResourceClaimTemplateName: &source}
	}
	return corev1.PodResourceClaim{Name: name, ResourceClaimName: &source}
}

// pod is a pod with one container that uses every claim.
func pod(ns, name string, claims ...corev1.PodResourceClaim) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PodSpec{
			Containers:     []corev1.Container{{Name: "app", Image: podImage}},
			ResourceClaims: claims,
		},
	}
	for _, c := range claims {
		p.Spec.Containers[0].Resources.Claims = append(p.Spec.Containers[0].Resources.Claims, corev1.ResourceClaim{Name: c.Name})
	}
	return p
}

// onNode pins a pod to a node with a node selector (the scheduler still allocates).
func onNode(p *corev1.Pod, node string) *corev1.Pod {
	p.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": node}
	return p
}
