package suite

import (
	"testing"

	resourceapi "k8s.io/api/resource/v1"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// Two VF requests constrained by matchAttribute on pfName land on one PF, and both
// interfaces are in the pod. Request "a" pins the PF to ens2f0; "b" may take any VF, so
// only the constraint keeps it off ens1f0, whose VFs are as free and come first.
func TestTwoVFsMatchingPFName_BothFromOnePFInPod(t *testing.T) {
	c := localCluster(t)
	ns := newNamespace(t, c)
	class := e2eutil.CreateClass(t, c.client, e2eutil.DeviceClass(ns+"-vf", celVF))

	named := func(name string) v1alpha1.NetworkConfig {
		return e2eutil.NetworkConfig(v1alpha1.NetworkConfig{Interface: &v1alpha1.InterfaceConfig{Name: e2eutil.PtrTo(name)}})
	}
	e2eutil.CreateTemplate(t, c.client, e2eutil.ClaimTemplate(ns, "pair", claimSpec(
		[]resourceapi.DeviceRequest{request("a", class.Name, celOnPF("ens2f0")), request("b", class.Name)},
		[]resourceapi.DeviceConstraint{matchAttribute(attrPFName)},
		opaqueConfig(t, named("pair-a"), "a"), opaqueConfig(t, named("pair-b"), "b"))))
	e2eutil.CreatePod(t, c.client, pod(ns, "app", podClaim("pair", "pair", true)))

	p := waitPodRunning(t, c, ns, "app", podTimeout)
	claim := e2eutil.PodResourceClaim(t, c.client, p, "pair")
	claim = waitClaimStatus(t, c, ns, claim.Name)
	devs := allocated(t, c, claim)
	a, b := devs["a"], devs["b"]
	if a.Pool != b.Pool || a.str(attrPFName) != "ens2f0" || b.str(attrPFName) != "ens2f0" || a.Device == b.Device {
		t.Fatalf("want two different VFs of ens2f0 on one node, got %s (PF %q) and %s (PF %q)",
			a, a.str(attrPFName), b, b.str(attrPFName))
	}
	requireAttached(t, p, claim, a, wantInterface{Name: "pair-a", MTU: int(a.int(attrMTU))})
	requireAttached(t, p, claim, b, wantInterface{Name: "pair-b", MTU: int(b.int(attrMTU))})
}
