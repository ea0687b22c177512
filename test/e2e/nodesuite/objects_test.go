package nodesuite

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// celTestNIC selects the node's test NICs only: never eth0, the CNI bridge's veths or
// anything else the plugin may publish from this live host.
const celTestNIC = `device.driver == "netclaim.dev" && device.attributes["netclaim.dev"].ifName.startsWith("` + nicPrefix + `")`

func testNICClass(name string) *resourceapi.DeviceClass {
	return e2eutil.DeviceClass(name, celTestNIC)
}

// nicTemplate is a claim template for one test NIC, configured by cfg for request "nic".
func nicTemplate(t *testing.T, ns, name, class string, cfg *v1alpha1.NetworkConfig) *resourceapi.ResourceClaimTemplate {
	t.Helper()
	spec := resourceapi.ResourceClaimSpec{Devices: resourceapi.DeviceClaim{
		Requests: []resourceapi.DeviceRequest{{Name: "nic", Exactly: &resourceapi.ExactDeviceRequest{DeviceClassName: class}}},
	}}
	if cfg != nil {
		raw, err := json.Marshal(e2eutil.NetworkConfig(*cfg))
		if err != nil {
			t.Fatalf("encoding NetworkConfig: %v", err)
		}
		spec.Devices.Config = []resourceapi.DeviceClaimConfiguration{e2eutil.RawConfig(raw, "nic")}
	}
	return e2eutil.ClaimTemplate(ns, name, spec)
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
			TerminationGracePeriodSeconds: e2eutil.PtrTo[int64](1),
		},
	}
	if template != "" {
		p.Spec.ResourceClaims = []corev1.PodResourceClaim{{Name: "net", ResourceClaimTemplateName: &template}}
		p.Spec.Containers[0].Resources.Claims = []corev1.ResourceClaim{{Name: "net"}}
	}
	return p
}
