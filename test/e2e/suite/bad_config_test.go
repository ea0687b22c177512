package suite

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// A NetworkConfig the driver rejects at prepare keeps the pod from starting: the pod
// stays Pending without a sandbox, the pod (kubelet's FailedPrepareDynamicResources) and
// the claim (netclaim's PrepareFailed) carry events naming the offending field, and no
// node interface changed.
func TestBadNetworkConfig_PodNotStartedEventsNameFieldHostUnchanged(t *testing.T) {
	tests := []struct {
		name string
		// pf narrows the request to VFs of one PF, whose MTU the config may exceed.
		pf     string
		config any
		// wantInMessage are what both events must mention.
		wantInMessage []string
	}{
		{
			name: "unknown field",
			pf:   "ens1f0",
			config: map[string]any{
				"apiVersion": v1alpha1.APIVersion, "kind": v1alpha1.KindNetworkConfig,
				"interface": map[string]any{"name": "data0", "mtuu": 1400},
			},
			wantInMessage: []string{"interface.mtuu"},
		},
		{
			name: "MTU above the parent's",
			pf:   "ens2f0", // MTU 1500 on every node
			config: e2eutil.NetworkConfig(v1alpha1.NetworkConfig{
				Interface: &v1alpha1.InterfaceConfig{Name: e2eutil.PtrTo("data0"), MTU: e2eutil.PtrTo[int32](9000)},
			}),
			wantInMessage: []string{"interface.mtu", "9000", "1500"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := localCluster(t)
			ns := newNamespace(t, c)
			class := e2eutil.CreateClass(t, c.client, e2eutil.DeviceClass(ns+"-vf", celVF))
			before := nodeLinks(t, c)

			e2eutil.CreateClaim(t, c.client, resourceClaim(ns, "bad", claimSpec(
				[]resourceapi.DeviceRequest{request("data", class.Name, celOnPF(tc.pf))}, nil,
				opaqueConfig(t, tc.config, "data"))))
			e2eutil.CreatePod(t, c.client, pod(ns, "app", podClaim("data", "bad", false)))

			podEvent := waitEvent(t, c, ns, "Pod", "app", "FailedPrepareDynamicResources")
			claimEvent := waitEvent(t, c, ns, "ResourceClaim", "bad", "PrepareFailed")
			requireContains(t, "pod event FailedPrepareDynamicResources", podEvent, tc.wantInMessage...)
			requireContains(t, "claim event PrepareFailed", claimEvent, tc.wantInMessage...)

			p, err := c.client.CoreV1().Pods(ns).Get(context.Background(), "app", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Status.Phase != corev1.PodPending {
				t.Errorf("pod phase %s, want Pending", p.Status.Phase)
			}
			// The agent creates the sandbox only after prepare succeeded.
			if _, err := os.Stat(podNetnsPath(p)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("pod network namespace %s exists (stat: %v): a sandbox was created", podNetnsPath(p), err)
			}
			if diff := cmp.Diff(before, nodeLinks(t, c)); diff != "" {
				t.Errorf("node interfaces changed although prepare failed (-before +after):\n%s", diff)
			}
		})
	}
}
