package e2eutil

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
)

// DriverName is netclaim's DRA driver name.
const DriverName = "netclaim.dev"

// DeviceClass is a DeviceClass that selects the devices matching the CEL expression.
func DeviceClass(name, cel string) *resourceapi.DeviceClass {
	return &resourceapi.DeviceClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: resourceapi.DeviceClassSpec{Selectors: []resourceapi.DeviceSelector{
			{CEL: &resourceapi.CELDeviceSelector{Expression: cel}},
		}},
	}
}

// ClaimTemplate is a ResourceClaimTemplate for claims of the given spec.
func ClaimTemplate(ns, name string, spec resourceapi.ResourceClaimSpec) *resourceapi.ResourceClaimTemplate {
	return &resourceapi.ResourceClaimTemplate{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       resourceapi.ResourceClaimTemplateSpec{Spec: spec},
	}
}

// RawConfig hands the JSON bytes to netclaim for the named requests, unchanged: the API
// server stores opaque parameters byte for byte.
func RawConfig(raw []byte, requests ...string) resourceapi.DeviceClaimConfiguration {
	return resourceapi.DeviceClaimConfiguration{
		Requests: requests,
		DeviceConfiguration: resourceapi.DeviceConfiguration{Opaque: &resourceapi.OpaqueDeviceConfiguration{
			Driver: DriverName, Parameters: runtime.RawExtension{Raw: raw},
		}},
	}
}

// NetworkConfig is cfg with its type meta set, as netclaim requires in a claim.
func NetworkConfig(cfg v1alpha1.NetworkConfig) v1alpha1.NetworkConfig {
	cfg.APIVersion, cfg.Kind = v1alpha1.APIVersion, v1alpha1.KindNetworkConfig
	return cfg
}

// PtrTo returns a pointer to a copy of v, for the API's optional fields.
func PtrTo[T any](v T) *T { return &v }

// CreateClass creates a cluster-scoped DeviceClass, deletes it at cleanup and returns it.
// Tests name their classes after their namespace, so names never clash between runs.
func CreateClass(t testing.TB, client kubernetes.Interface, class *resourceapi.DeviceClass) *resourceapi.DeviceClass {
	t.Helper()
	created, err := client.ResourceV1().DeviceClasses().Create(context.Background(), class, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating DeviceClass %s: %v", class.Name, err)
	}
	t.Cleanup(func() {
		err := client.ResourceV1().DeviceClasses().Delete(context.Background(), created.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting DeviceClass %s: %v", created.Name, err)
		}
	})
	return created
}

// CreateClaim creates a ResourceClaim; its namespace's cleanup deletes it.
func CreateClaim(t testing.TB, client kubernetes.Interface, claim *resourceapi.ResourceClaim) {
	t.Helper()
	if _, err := client.ResourceV1().ResourceClaims(claim.Namespace).Create(context.Background(), claim, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating ResourceClaim %s/%s: %v", claim.Namespace, claim.Name, err)
	}
}

// CreateTemplate creates a ResourceClaimTemplate; its namespace's cleanup deletes it.
func CreateTemplate(t testing.TB, client kubernetes.Interface, tmpl *resourceapi.ResourceClaimTemplate) {
	t.Helper()
	if _, err := client.ResourceV1().ResourceClaimTemplates(tmpl.Namespace).Create(context.Background(), tmpl, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating ResourceClaimTemplate %s/%s: %v", tmpl.Namespace, tmpl.Name, err)
	}
}

// CreatePod creates a pod; its namespace's cleanup deletes it.
func CreatePod(t testing.TB, client kubernetes.Interface, pod *corev1.Pod) {
	t.Helper()
	if _, err := client.CoreV1().Pods(pod.Namespace).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating pod %s/%s: %v", pod.Namespace, pod.Name, err)
	}
}
