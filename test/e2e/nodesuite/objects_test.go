package nodesuite

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
)

// celTestNIC selects the node's test NICs only: never eth0, the CNI bridge's veths or
// anything else the plugin may publish from this live host.
const celTestNIC = `device.driver == "netclaim.dev" && device.attributes["netclaim.dev"].ifName.startsWith("` + nicPrefix + `")`

func testNICClass(name string) *resourceapi.DeviceClass {
	return &resourceapi.DeviceClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: resourceapi.DeviceClassSpec{Selectors: []resourceapi.DeviceSelector{
			{CEL: &resourceapi.CELDeviceSelector{Expression: celTestNIC}},
		}},
	}
}

// nicTemplate is a claim template for one test NIC, configured by cfg for request "nic".
func nicTemplate(t *testing.T, ns, name, class string, cfg *v1alpha1.NetworkConfig) *resourceapi.ResourceClaimTemplate {
	t.Helper()
	spec := resourceapi.ResourceClaimSpec{Devices: resourceapi.DeviceClaim{
		Requests: []resourceapi.DeviceRequest{{Name: "nic", Exactly: &resourceapi.ExactDeviceRequest{DeviceClassName: class}}},
	}}
	if cfg != nil {
		c := *cfg
		c.APIVersion, c.Kind = v1alpha1.APIVersion, v1alpha1.KindNetworkConfig
		raw, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("encoding NetworkConfig: %v", err)
		}
		spec.Devices.Config = []resourceapi.DeviceClaimConfiguration{{
			Requests: []string{"nic"},
			DeviceConfiguration: resourceapi.DeviceConfiguration{Opaque: &resourceapi.OpaqueDeviceConfiguration{
				Driver: driverName, Parameters: runtime.RawExtension{Raw: raw},
			}},
		}}
	}
	return &resourceapi.ResourceClaimTemplate{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       resourceapi.ResourceClaimTemplateSpec{Spec: spec},
	}
}

// busyboxPod runs script with sh in one busybox container on the real node. With a
// template, the pod claims one device from it as pod claim "net" and the container uses it.
func (n *node) busyboxPod(ns, name, template, script string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PodSpec{
			NodeSelector: map[string]string{"kubernetes.io/hostname": n.name},
			Containers: []corev1.Container{{
				Name: "app", Image: n.busybox, ImagePullPolicy: corev1.PullNever,
				Command: []string{"sh", "-c", script},
			}},
			// busybox's sleep ignores SIGTERM as PID 1: do not wait 30 s for it.
			TerminationGracePeriodSeconds: ptrTo[int64](1),
		},
	}
	if template != "" {
		p.Spec.ResourceClaims = []corev1.PodResourceClaim{{Name: "net", ResourceClaimTemplateName: &template}}
		p.Spec.Containers[0].Resources.Claims = []corev1.ResourceClaim{{Name: "net"}}
	}
	return p
}

func ptrTo[T any](v T) *T { return &v }
