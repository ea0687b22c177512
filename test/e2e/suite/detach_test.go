package suite

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// Deleting a pod puts every interface back into its node's namespace exactly as it was
// (name, MTU, MAC, state, no addresses), deallocates its claims (the template's generated
// claim is deleted, the standalone claim keeps existing unallocated) and leaves no
// checkpoint entry or CDI spec on the node.
func TestPodDeleted_InterfacesRestoredClaimsDeallocated(t *testing.T) {
	c := localCluster(t)
	ns := newNamespace(t, c)
	vfClass := e2eutil.CreateClass(t, c.client, e2eutil.DeviceClass(ns+"-vf", celVF))
	nicClass := e2eutil.CreateClass(t, c.client, e2eutil.DeviceClass(ns+"-nic", celNIC))

	// Everything attach changes: name, MTU, MAC, addresses.
	vfCfg := e2eutil.NetworkConfig(v1alpha1.NetworkConfig{
		Interface: &v1alpha1.InterfaceConfig{Name: e2eutil.PtrTo("data0"), MTU: e2eutil.PtrTo[int32](1280)},
		Addresses: []string{"10.20.0.2/24"},
	})
	nicCfg := e2eutil.NetworkConfig(v1alpha1.NetworkConfig{
		Interface: &v1alpha1.InterfaceConfig{Name: e2eutil.PtrTo("ctl0"), MTU: e2eutil.PtrTo[int32](1400), MAC: "02:aa:00:00:00:01"},
		Addresses: []string{"10.30.0.2/24"},
	})
	e2eutil.CreateTemplate(t, c.client, e2eutil.ClaimTemplate(ns, "vf", claimSpec(
		[]resourceapi.DeviceRequest{request("data", vfClass.Name)}, nil, opaqueConfig(t, vfCfg, "data"))))
	e2eutil.CreateClaim(t, c.client, resourceClaim(ns, "nic", claimSpec(
		[]resourceapi.DeviceRequest{request("ctl", nicClass.Name)}, nil, opaqueConfig(t, nicCfg, "ctl"))))
	before := nodeLinks(t, c)
	e2eutil.CreatePod(t, c.client, pod(ns, "app", podClaim("vf", "vf", true), podClaim("nic", "nic", false)))

	p := waitPodRunning(t, c, ns, "app", podTimeout)
	vfClaim := waitClaimStatus(t, c, ns, e2eutil.PodResourceClaim(t, c.client, p, "vf").Name)
	nicClaim := waitClaimStatus(t, c, ns, "nic")
	vf, nic := allocated(t, c, vfClaim)["data"], allocated(t, c, nicClaim)["ctl"]
	requireAttached(t, p, vfClaim, vf, wantInterface{Name: "data0", MTU: 1280, Addrs: vfCfg.Addresses})
	requireAttached(t, p, nicClaim, nic, wantInterface{Name: "ctl0", MTU: 1400, Addrs: nicCfg.Addresses, MAC: nicCfg.Interface.MAC})

	deletePod(t, c, ns, "app")

	node := p.Spec.NodeName
	after := nodeLinks(t, c)
	for _, d := range []device{vf, nic} {
		want := e2eutil.Link{Name: d.str(attrIfName), MTU: int(d.int(attrMTU)), MAC: d.str(attrMAC), Up: true}
		if diff := cmp.Diff(want, after[node][want.Name]); diff != "" {
			t.Errorf("%s back on %s (-want +got):\n%s", d, node, diff)
		}
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("node interfaces after the pod's deletion differ from before it ran (-before +after):\n%s", diff)
	}
	if _, err := os.Stat(podNetnsPath(p)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pod network namespace %s still exists (stat: %v)", podNetnsPath(p), err)
	}

	poll(t, "generated claim "+vfClaim.Name+" deleted", claimTimeout, func(ctx context.Context) (bool, error) {
		_, err := c.client.ResourceV1().ResourceClaims(ns).Get(ctx, vfClaim.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	poll(t, "claim nic deallocated", claimTimeout, func(ctx context.Context) (bool, error) {
		claim, err := c.client.ResourceV1().ResourceClaims(ns).Get(ctx, "nic", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return claim.Status.Allocation == nil && len(claim.Status.ReservedFor) == 0, nil
	})
	requireNodeClean(t, c, node)
}
