package suite

import (
	"slices"
	"testing"

	resourceapi "k8s.io/api/resource/v1"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// A claim selects a VF of one PF by CEL; the pod runs with that VF renamed, with the MTU,
// addresses and route from the claim's NetworkConfig, and the claim's status reports it.
func TestVFByCELSelector_ConfiguredInPodAndReported(t *testing.T) {
	c := localCluster(t)
	ns := newNamespace(t, c)
	class := e2eutil.CreateClass(t, c.client, e2eutil.DeviceClass(ns+"-vf", celVF))

	cfg := e2eutil.NetworkConfig(v1alpha1.NetworkConfig{
		Interface: &v1alpha1.InterfaceConfig{Name: e2eutil.PtrTo("data0"), MTU: e2eutil.PtrTo[int32](1400)},
		Addresses: []string{"192.0.2.10/24", "2001:db8::10/64"},
		Routes:    []v1alpha1.RouteConfig{{Destination: "198.51.100.0/24", Gateway: "192.0.2.1"}},
	})
	e2eutil.CreateClaim(t, c.client, resourceClaim(ns, "data", claimSpec(
		[]resourceapi.DeviceRequest{request("data", class.Name, celOnPF("ens1f0"))}, nil,
		opaqueConfig(t, cfg, "data"))))
	e2eutil.CreatePod(t, c.client, pod(ns, "app", podClaim("data", "data", false)))

	p := waitPodRunning(t, c, ns, "app", podTimeout)
	claim := waitClaimStatus(t, c, ns, "data")
	dev := allocated(t, c, claim)["data"]
	if dev.str(attrKind) != "vf" || dev.str(attrPFName) != "ens1f0" {
		t.Errorf("allocated %s is kind %q of PF %q, want a VF of ens1f0", dev, dev.str(attrKind), dev.str(attrPFName))
	}
	if dev.Pool != p.Spec.NodeName {
		t.Errorf("allocated %s from pool %s, but the pod runs on %s", dev, dev.Pool, p.Spec.NodeName)
	}
	requireAttached(t, p, claim, dev, wantInterface{Name: "data0", MTU: 1400, Addrs: cfg.Addresses})
	route := "198.51.100.0/24 via 192.0.2.1 dev data0"
	if got := routes(t, podNetnsPath(p)); !slices.Contains(got, route) {
		t.Errorf("pod routes %v lack %q", got, route)
	}
	// The VF left the node's namespace under its own name.
	if _, still := e2eutil.MustReadLinks(t, nodeNetnsPath(p.Spec.NodeName))[dev.str(attrIfName)]; still {
		t.Errorf("%s (%s) is still in the namespace of node %s", dev.str(attrIfName), dev, p.Spec.NodeName)
	}
}

// A claim whose opaque config JSON does not have its keys sorted — what a Go client
// sending a typed NetworkConfig produces (TypeMeta puts kind before apiVersion), unlike
// kubectl and Helm — still gets its status.devices written after attach.
//
// Found by this suite when netclaim wrote status with server-side apply: apply re-encodes
// status.allocation's copy of the opaque parameters with sorted keys, the API server then
// sees different bytes and refuses "status.allocation: Invalid value: null: field cannot
// be modified once set", and the plugin retried forever. pkg/claimstatus now updates.
func TestClaimConfigWithUnsortedKeys_StatusWritten(t *testing.T) {
	c := localCluster(t)
	ns := newNamespace(t, c)
	class := e2eutil.CreateClass(t, c.client, e2eutil.DeviceClass(ns+"-vf", celVF))
	raw := []byte(`{"kind":"NetworkConfig","apiVersion":"netclaim.dev/v1alpha1","interface":{"name":"data0"}}`)
	e2eutil.CreateClaim(t, c.client, resourceClaim(ns, "data", claimSpec(
		[]resourceapi.DeviceRequest{request("data", class.Name)}, nil, e2eutil.RawConfig(raw, "data"))))
	e2eutil.CreatePod(t, c.client, pod(ns, "app", podClaim("data", "data", false)))

	p := waitPodRunning(t, c, ns, "app", podTimeout)
	claim := waitClaimStatus(t, c, ns, "data")
	dev := allocated(t, c, claim)["data"]
	requireAttached(t, p, claim, dev, wantInterface{Name: "data0", MTU: int(dev.int(attrMTU))})
}
