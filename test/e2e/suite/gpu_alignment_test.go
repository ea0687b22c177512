package suite

import (
	"context"
	"slices"
	"testing"

	resourceapi "k8s.io/api/resource/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// fakeGPUDriver has no node plugin: its devices exist only as the ResourceSlices the
// suite publishes. kubelet would refuse a pod whose claim has results of a driver not
// registered on the node; the node agent deliberately prepares netclaim's results only
// (nodeagent.usesDriver), which lets the scheduler's side of alignment be tested here.
const fakeGPUDriver = "gpu.e2e.netclaim.dev"

// gpuRoot is the PCIe root of every fake GPU: the plain NIC ens3 hangs off it only on
// even nodes (test/e2e/cmd/mknode/topology.go), so alignment decides the node.
const gpuRoot = "pci0000:80"

// A claim for a NIC and a GPU of another driver, aligned by matchAttribute on
// resource.kubernetes.io/pcieRoot, gets a NIC on the GPU's PCIe root; the node agent
// prepares only netclaim's half of the two-driver claim and the pod runs with the NIC.
func TestNICAlignedWithGPUOnPCIeRoot_SameRootAndAttached(t *testing.T) {
	c := localCluster(t)
	var aligned, unaligned []string
	for k, d := range publishedDevices(t, c) {
		if k.Driver != driverName || d.str(attrKind) != "nic" {
			continue
		}
		if d.str(attrPCIeRoot) == gpuRoot {
			aligned = append(aligned, k.Pool)
		} else {
			unaligned = append(unaligned, k.Pool)
		}
	}
	if len(aligned) == 0 || len(unaligned) == 0 {
		t.Skipf("needs a node whose NIC is on %s and one whose NIC is not (at least 2 nodes); have %v and %v", gpuRoot, aligned, unaligned)
	}

	ns := newNamespace(t, c)
	publishFakeGPUs(t, c, ns)
	nicClass := e2eutil.CreateClass(t, c.client, e2eutil.DeviceClass(ns+"-nic", celNIC))
	gpuClass := e2eutil.CreateClass(t, c.client, e2eutil.DeviceClass(ns+"-gpu", `device.driver == "`+fakeGPUDriver+`"`))
	e2eutil.CreateClaim(t, c.client, resourceClaim(ns, "nic-gpu", claimSpec(
		[]resourceapi.DeviceRequest{request("nic", nicClass.Name), request("gpu", gpuClass.Name)},
		[]resourceapi.DeviceConstraint{matchAttribute(attrPCIeRoot)},
		opaqueConfig(t, e2eutil.NetworkConfig(v1alpha1.NetworkConfig{Interface: &v1alpha1.InterfaceConfig{Name: e2eutil.PtrTo("fast0")}}), "nic"))))
	e2eutil.CreatePod(t, c.client, pod(ns, "trainer", podClaim("nic-gpu", "nic-gpu", false)))

	p := waitPodRunning(t, c, ns, "trainer", podTimeout)
	claim := waitClaimStatus(t, c, ns, "nic-gpu")
	devs := allocated(t, c, claim)
	nic, gpu := devs["nic"], devs["gpu"]
	if nic.Driver != driverName || gpu.Driver != fakeGPUDriver {
		t.Fatalf("want a netclaim NIC and a fake GPU, got %s and %s", nic, gpu)
	}
	if nic.str(attrPCIeRoot) != gpu.str(attrPCIeRoot) || nic.Pool != gpu.Pool {
		t.Errorf("NIC %s on %q and GPU %s on %q: want the same node and PCIe root",
			nic, nic.str(attrPCIeRoot), gpu, gpu.str(attrPCIeRoot))
	}
	if !slices.Contains(aligned, p.Spec.NodeName) {
		t.Errorf("pod runs on %s; only %v have a NIC on the GPUs' root %s", p.Spec.NodeName, aligned, gpuRoot)
	}
	requireAttached(t, p, claim, nic, wantInterface{Name: "fast0", MTU: int(nic.int(attrMTU))})
	for _, st := range claim.Status.Devices {
		if st.Driver != driverName {
			t.Errorf("status.devices has an entry of %s, which nothing on the node serves: %+v", st.Driver, st)
		}
	}
}

// publishFakeGPUs publishes one GPU on every node as another DRA driver would, under the
// standard PCIe root attribute, and deletes the slices at cleanup.
func publishFakeGPUs(t *testing.T, c *cluster, ns string) {
	t.Helper()
	ctx := context.Background()
	for _, node := range c.nodes {
		slice := &resourceapi.ResourceSlice{
			ObjectMeta: metav1.ObjectMeta{Name: ns + "-gpu-" + node},
			Spec: resourceapi.ResourceSliceSpec{
				Driver:   fakeGPUDriver,
				Pool:     resourceapi.ResourcePool{Name: node, ResourceSliceCount: 1},
				NodeName: &node,
				Devices: []resourceapi.Device{{
					Name: "gpu-0",
					Attributes: map[resourceapi.QualifiedName]resourceapi.DeviceAttribute{
						"model":      {StringValue: e2eutil.PtrTo("e2e-accelerator")},
						attrPCIeRoot: {StringValue: e2eutil.PtrTo(gpuRoot)},
					},
				}},
			},
		}
		if _, err := c.client.ResourceV1().ResourceSlices().Create(ctx, slice, metav1.CreateOptions{}); err != nil {
			t.Fatalf("publishing fake GPU on %s: %v", node, err)
		}
		t.Cleanup(func() {
			err := c.client.ResourceV1().ResourceSlices().Delete(context.Background(), slice.Name, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("deleting ResourceSlice %s: %v", slice.Name, err)
			}
		})
	}
}
