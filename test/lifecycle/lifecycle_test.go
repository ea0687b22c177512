// Package lifecycle drives one claim through the node side of its whole life on the host
// kernel: a real prepare (pkg/driver) builds the plan, the NRI handlers (pkg/nri) attach it
// to a pod network namespace and restore it, and a real unprepare cleans up. Nothing is
// stubbed between the packages: this is the path kubelet and containerd exercise.
package lifecycle

import (
	"os"
	"testing"

	nriapi "github.com/containerd/nri/pkg/api"
	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"
	"k8s.io/klog/v2/ktesting"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/driver"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/nri"
	"github.com/netclaim/netclaim/test/netnstest"
)

const (
	driverName = "netclaim.dev"
	nodeName   = "node-a"
)

// node is one simulated node: kernel state in netnstest namespaces, plugin state on disk.
type node struct {
	*netnstest.Testbed
	stateDir string
	cdiDir   string
	devices  map[string]inventory.Device
}

func newNode(t *testing.T) *node {
	tb := netnstest.New(t)
	dir := t.TempDir()
	return &node{Testbed: tb, stateDir: dir + "/state", cdiDir: dir + "/cdi", devices: map[string]inventory.Device{}}
}

// addNIC creates a veth standing in for a NIC and the inventory entry discovery would make.
func (n *node) addNIC(name, mac string, mtu int) {
	n.AddVethNIC(netnstest.NIC{Name: name, MAC: mac, MTU: mtu, Up: true})
	n.devices[name] = inventory.Device{Name: name, Kind: inventory.KindNIC, IfName: name, MAC: mac, MTU: mtu, Virtual: true}
}

// plugin starts the node daemon's parts over the node's state, as the binary wires them.
func (n *node) plugin(t *testing.T) (*driver.Driver, *nri.Plugin) {
	t.Helper()
	store, err := checkpoint.Open(n.stateDir + "/checkpoint.json")
	if err != nil {
		t.Fatal(err)
	}
	host, err := netdev.OpenHostAt(n.NodePath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Close() })
	attacher := nri.New(nri.Config{Checkpoint: store, Host: host})
	drv, err := driver.New(driver.Config{
		DriverName: driverName, NodeName: nodeName, Checkpoint: store, CDIDir: n.cdiDir,
		Devices:  func(name string) (inventory.Device, bool) { d, ok := n.devices[name]; return d, ok },
		Detacher: attacher,
	})
	if err != nil {
		t.Fatal(err)
	}
	return drv, attacher
}

// claimFor is a claim as kube-scheduler leaves it: device allocated from this node's pool,
// the claim's NetworkConfig in the allocation, reserved for the pod.
func claimFor(device, config string) *resourceapi.ResourceClaim {
	return &resourceapi.ResourceClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: "telco", Name: "sig", UID: "claim-uid-1"},
		Spec: resourceapi.ResourceClaimSpec{Devices: resourceapi.DeviceClaim{
			Requests: []resourceapi.DeviceRequest{{Name: "sig", Exactly: &resourceapi.ExactDeviceRequest{DeviceClassName: "signalling"}}},
		}},
		Status: resourceapi.ResourceClaimStatus{
			Allocation: &resourceapi.AllocationResult{Devices: resourceapi.DeviceAllocationResult{
				Results: []resourceapi.DeviceRequestAllocationResult{{Request: "sig", Driver: driverName, Pool: nodeName, Device: device}},
				Config: []resourceapi.DeviceAllocationConfiguration{{
					Source: resourceapi.AllocationConfigSourceClaim,
					DeviceConfiguration: resourceapi.DeviceConfiguration{Opaque: &resourceapi.OpaqueDeviceConfiguration{
						Driver: driverName, Parameters: runtime.RawExtension{Raw: []byte(config)},
					}},
				}},
			}},
			ReservedFor: []resourceapi.ResourceClaimConsumerReference{{Resource: "pods", Name: "cnf-0", UID: "pod-uid-1"}},
		},
	}
}

func sandbox(id, podUID, netnsPath string) *nriapi.PodSandbox {
	pod := &nriapi.PodSandbox{Id: id, Name: "cnf-0", Namespace: "telco", Uid: podUID, Linux: &nriapi.LinuxPodSandbox{}}
	if netnsPath != "" {
		pod.Linux.Namespaces = []*nriapi.LinuxNamespace{{Type: "network", Path: netnsPath}}
	}
	return pod
}

func requireRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and moves devices between them")
	}
}

func TestLifecycle_PrepareAttachDetachUnprepareRestoresHost(t *testing.T) {
	requireRoot(t)
	_, ctx := ktesting.NewTestContext(t)
	n := newNode(t)
	n.addNIC("ens1f0", "02:aa:00:00:00:01", 9000)
	before := n.State(n.Node, "ens1f0")
	drv, attacher := n.plugin(t)

	claim := claimFor("ens1f0", `{"apiVersion":"netclaim.dev/v1alpha1","kind":"NetworkConfig",
		"interface":{"name":"sig0","mtu":1500},
		"addresses":["192.0.2.10/24","2001:db8::10/64"],
		"routes":[{"destination":"198.51.100.0/24","gateway":"192.0.2.1"}]}`)

	// kubelet: NodePrepareResources.
	prepared, err := drv.PrepareResourceClaims(ctx, []*resourceapi.ResourceClaim{claim})
	if err != nil || prepared[claim.UID].Err != nil {
		t.Fatalf("prepare: %v / %v", err, prepared[claim.UID].Err)
	}
	if got := len(prepared[claim.UID].Devices); got != 1 || len(prepared[claim.UID].Devices[0].CDIDeviceIDs) != 1 {
		t.Fatalf("prepare result devices = %+v, want one device with one CDI ID", prepared[claim.UID].Devices)
	}
	// Prepare decides; it must not touch the device.
	n.RequireState(n.Node, "ens1f0", before)

	// runtime: RunPodSandbox once the pod's netns exists.
	if err := attacher.RunPodSandbox(ctx, sandbox("sb-1", "pod-uid-1", n.PodPath)); err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	n.RequireState(n.Pod, "sig0", netnstest.LinkState{
		Name: "sig0", MTU: 1500, MAC: "02:aa:00:00:00:01", Up: true,
		Addresses: []string{"192.0.2.10/24", "2001:db8::10/64"},
		Routes:    []string{"198.51.100.0/24 via 192.0.2.1"},
	})

	// runtime: StopPodSandbox arrives without a netns path (containerd).
	if err := attacher.StopPodSandbox(ctx, sandbox("sb-1", "pod-uid-1", "")); err != nil {
		t.Fatalf("StopPodSandbox: %v", err)
	}
	n.RequireState(n.Node, "ens1f0", before)
	n.RequireLinks(n.Pod, "pod netns", "lo")

	// kubelet: NodeUnprepareResources.
	unprepared, err := drv.UnprepareResourceClaims(ctx, []kubeletplugin.NamespacedObject{{
		NamespacedName: claimKey(claim), UID: claim.UID,
	}})
	if err != nil || unprepared[claim.UID] != nil {
		t.Fatalf("unprepare: %v / %v", err, unprepared[claim.UID])
	}
	requireEmptyDir(t, n.cdiDir)
	store, err := checkpoint.Open(n.stateDir + "/checkpoint.json")
	if err != nil {
		t.Fatal(err)
	}
	if left := store.List(); len(left) != 0 {
		t.Errorf("checkpoint still holds %d claims after unprepare", len(left))
	}
}

// Kubelet may unprepare a claim whose StopPodSandbox never reached the plugin (runtime
// crashed, plugin restarted): unprepare must bring the device home itself.
func TestLifecycle_UnprepareAfterPluginRestartRestoresAttachedDevice(t *testing.T) {
	requireRoot(t)
	_, ctx := ktesting.NewTestContext(t)
	n := newNode(t)
	n.addNIC("ens2f0", "02:aa:00:00:00:02", 1500)
	before := n.State(n.Node, "ens2f0")

	drv, attacher := n.plugin(t)
	claim := claimFor("ens2f0", `{"apiVersion":"netclaim.dev/v1alpha1","kind":"NetworkConfig","addresses":["192.0.2.20/24"]}`)
	if res, err := drv.PrepareResourceClaims(ctx, []*resourceapi.ResourceClaim{claim}); err != nil || res[claim.UID].Err != nil {
		t.Fatalf("prepare: %v / %v", err, res[claim.UID].Err)
	}
	if err := attacher.RunPodSandbox(ctx, sandbox("sb-1", "pod-uid-1", n.PodPath)); err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	n.RequireState(n.Pod, "net1", netnstest.LinkState{Name: "net1", MTU: 1500, MAC: "02:aa:00:00:00:02", Up: true, Addresses: []string{"192.0.2.20/24"}})

	// A new process: everything it knows comes from the checkpoint file.
	drv2, _ := n.plugin(t)
	res, err := drv2.UnprepareResourceClaims(ctx, []kubeletplugin.NamespacedObject{{NamespacedName: claimKey(claim), UID: claim.UID}})
	if err != nil || res[claim.UID] != nil {
		t.Fatalf("unprepare: %v / %v", err, res[claim.UID])
	}
	n.RequireState(n.Node, "ens2f0", before)
	n.RequireLinks(n.Pod, "pod netns", "lo")
	requireEmptyDir(t, n.cdiDir)
}

func TestLifecycle_BadConfigLeavesHostUntouched(t *testing.T) {
	requireRoot(t)
	_, ctx := ktesting.NewTestContext(t)
	n := newNode(t)
	n.addNIC("ens3f0", "02:aa:00:00:00:03", 1500)
	before := n.State(n.Node, "ens3f0")
	drv, attacher := n.plugin(t)

	claim := claimFor("ens3f0", `{"apiVersion":"netclaim.dev/v1alpha1","kind":"NetworkConfig","interface":{"mtu":9000}}`)
	res, err := drv.PrepareResourceClaims(ctx, []*resourceapi.ResourceClaim{claim})
	if err != nil {
		t.Fatal(err)
	}
	netnstest.RequireErrorContains(t, res[claim.UID].Err, "telco/sig", "ens3f0", "interface.mtu", "1500")
	// The runtime still starts the sandbox hook (kubelet would not, but nothing may break).
	if err := attacher.RunPodSandbox(ctx, sandbox("sb-1", "pod-uid-1", n.PodPath)); err != nil {
		t.Fatalf("RunPodSandbox for an unprepared pod: %v", err)
	}
	n.RequireState(n.Node, "ens3f0", before)
	n.RequireLinks(n.Pod, "pod netns", "lo")
	requireEmptyDir(t, n.cdiDir)
}

func requireEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string(nil), names); diff != "" {
		t.Errorf("%s not empty (-want +got):\n%s", dir, diff)
	}
}

func claimKey(c *resourceapi.ResourceClaim) types.NamespacedName {
	return types.NamespacedName{Namespace: c.Namespace, Name: c.Name}
}
