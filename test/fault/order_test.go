package fault

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"
	"k8s.io/klog/v2/ktesting"

	"github.com/netclaim/netclaim/test/netnstest"
)

// pkg/nri's tests cover RunPodSandbox twice, Stop/Remove before Run and a netns deleted
// before StopPodSandbox on hand-built plans; these drive the calls kubelet and the runtime
// repeat or reorder through the real prepare and a restarted plugin.

// orderNode is a node with one veth and one macvlan NIC and a claim for both.
func orderNode(t *testing.T) (*node, []*resourceapi.ResourceClaim, hostState) {
	n := newNode(t)
	n.addNIC(nic{Name: "ens1f0", MAC: "02:cc:00:00:00:01", MTU: 9000})
	n.addNIC(nic{Name: "ens2v0", MAC: "02:cc:00:00:00:02", MTU: 1500, Macvlan: true})
	claim := claimFor("c0", "claim-uid-0", "pod-uid-1",
		deviceConfig{Device: "ens1f0", Config: fullConfig(0)}, deviceConfig{Device: "ens2v0", Config: fullConfig(1)})
	return n, []*resourceapi.ResourceClaim{claim}, n.hostState()
}

func TestPrepare_AgainWhileAttachedReturnsSameResultAndLeavesPodAlone(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	n, claims, before := orderNode(t)
	sb := sandboxRef{ID: "sb-1", PodUID: "pod-uid-1", Netns: n.PodPath}

	p := n.plugin()
	first, err := p.drv.PrepareResourceClaims(ctx, claims)
	if err != nil || first[claims[0].UID].Err != nil {
		t.Fatalf("prepare: %v / %v", err, first[claims[0].UID].Err)
	}
	if err := p.nri.RunPodSandbox(ctx, sb.pod()); err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	inPodNames := []string{"pod0", "pod1"}
	inPod := []netnstest.LinkState{n.State(n.Pod, "pod0"), n.State(n.Pod, "pod1")}

	// kubelet restarted and prepares every claim of its running pods again.
	again, err := n.plugin().drv.PrepareResourceClaims(ctx, claims)
	if err != nil {
		t.Fatal(err)
	}
	// The same devices and CDI devices; the metadata now also carries what attach did,
	// so that the metadata file the kubelet helper rewrites from it keeps the network data.
	if diff := cmp.Diff(first, again, cmpopts.IgnoreFields(kubeletplugin.Device{}, "Metadata")); diff != "" {
		t.Errorf("second prepare result differs (-first +second):\n%s", diff)
	}
	for i, dev := range again[claims[0].UID].Devices {
		if md := dev.Metadata; md == nil || md.NetworkData == nil || md.NetworkData.InterfaceName != inPodNames[i] {
			t.Errorf("second prepare: device %s metadata %+v, want network data naming %s", dev.DeviceName, md, inPodNames[i])
		}
	}
	if diff := cmp.Diff(inPod, []netnstest.LinkState{n.State(n.Pod, "pod0"), n.State(n.Pod, "pod1")}); diff != "" {
		t.Errorf("second prepare changed the pod's devices (-before +after):\n%s", diff)
	}

	p = n.plugin()
	if err := p.nri.StopPodSandbox(ctx, sb.stopped().pod()); err != nil {
		t.Fatalf("StopPodSandbox: %v", err)
	}
	if err := p.unprepare(ctx, refsOf(claims)); err != nil {
		t.Fatalf("unprepare: %v", err)
	}
	n.requireClean("after the pod", before, n.firstPod())
}

func TestUnprepare_UnknownClaimChangesNothing(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	n, claims, _ := orderNode(t)
	p := n.plugin()
	if err := p.prepare(ctx, claims); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	if err := p.nri.RunPodSandbox(ctx, sandboxRef{ID: "sb-1", PodUID: "pod-uid-1", Netns: n.PodPath}.pod()); err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	before := n.hostState()
	inPod := []netnstest.LinkState{n.State(n.Pod, "pod0"), n.State(n.Pod, "pod1")}

	unknown := []claimRef{{Namespace: claimNs, Name: "never-prepared", UID: "unknown-uid"}}
	for _, q := range []*plugin{p, n.plugin()} { // the running plugin and a restarted one
		if err := q.unprepare(ctx, unknown); err != nil {
			t.Errorf("unprepare of an unknown claim: %v", err)
		}
	}
	n.requireUntouched("unprepare of an unknown claim", before)
	if diff := cmp.Diff(inPod, []netnstest.LinkState{n.State(n.Pod, "pod0"), n.State(n.Pod, "pod1")}); diff != "" {
		t.Errorf("unprepare of an unknown claim changed the pod's devices (-before +after):\n%s", diff)
	}
}

// kubelet's unprepare can come before the runtime's StopPodSandbox (the runtime was down);
// unprepare restores, and the late Stop and Remove find nothing to do.
func TestUnprepare_BeforeStopPodSandboxRestoresAndLateStopIsHarmless(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	n, claims, before := orderNode(t)
	sb := sandboxRef{ID: "sb-1", PodUID: "pod-uid-1", Netns: n.PodPath}
	p := n.plugin()
	if err := p.prepare(ctx, claims); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	if err := p.nri.RunPodSandbox(ctx, sb.pod()); err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	// One daemon: its kubelet plugin and NRI plugin share the checkpoint.
	if err := p.unprepare(ctx, refsOf(claims)); err != nil {
		t.Fatalf("unprepare: %v", err)
	}
	n.requireClean("after unprepare", before, n.firstPod())
	if err := p.nri.StopPodSandbox(ctx, sb.stopped().pod()); err != nil {
		t.Errorf("late StopPodSandbox: %v", err)
	}
	if err := p.nri.RemovePodSandbox(ctx, sb.stopped().pod()); err != nil {
		t.Errorf("late RemovePodSandbox: %v", err)
	}
	n.requireClean("after the late sandbox events", before, n.firstPod())
}

// A StopPodSandbox that comes before RunPodSandbox (a sandbox torn down while being
// created) and a RunPodSandbox repeated by a restarted plugin, through the real prepare.
func TestSandboxEvents_StopBeforeRunThenRunTwiceAcrossRestart(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	n, claims, before := orderNode(t)
	sb := sandboxRef{ID: "sb-1", PodUID: "pod-uid-1", Netns: n.PodPath}
	if err := n.plugin().prepare(ctx, claims); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	prepared := n.hostState()
	if err := n.plugin().nri.StopPodSandbox(ctx, sb.stopped().pod()); err != nil {
		t.Errorf("StopPodSandbox before RunPodSandbox: %v", err)
	}
	n.requireUntouched("StopPodSandbox before RunPodSandbox", prepared)

	if err := n.plugin().nri.RunPodSandbox(ctx, sb.pod()); err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	inPod := []netnstest.LinkState{n.State(n.Pod, "pod0"), n.State(n.Pod, "pod1")}
	if err := n.plugin().nri.RunPodSandbox(ctx, sb.pod()); err != nil {
		t.Fatalf("RunPodSandbox again after a restart: %v", err)
	}
	if diff := cmp.Diff(inPod, []netnstest.LinkState{n.State(n.Pod, "pod0"), n.State(n.Pod, "pod1")}); diff != "" {
		t.Errorf("repeated RunPodSandbox changed the pod's devices (-first +second):\n%s", diff)
	}
	n.RequireLinks(n.Pod, "pod netns", "lo", "pod0", "pod1")

	p := n.plugin()
	if err := p.nri.StopPodSandbox(ctx, sb.stopped().pod()); err != nil {
		t.Fatalf("StopPodSandbox: %v", err)
	}
	if err := p.unprepare(ctx, refsOf(claims)); err != nil {
		t.Fatalf("unprepare: %v", err)
	}
	n.requireClean("after the pod", before, n.firstPod())
}

// The pod's netns is deleted and no StopPodSandbox ever reaches the plugin (it was down):
// a restarted plugin's unprepare must finish the claim although the virtual devices died
// with the namespace. Only those devices (and a veth's peer) are gone from the node.
func TestUnprepare_AfterPodNetnsDeletedWithoutStopForgetsDestroyedDevices(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	n, claims, before := orderNode(t)
	if err := n.plugin().prepare(ctx, claims); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	if err := n.plugin().nri.RunPodSandbox(ctx, sandboxRef{ID: "sb-1", PodUID: "pod-uid-1", Netns: n.PodPath}.pod()); err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	n.DeletePod()
	n.WaitLinkGone(n.Node, "ens1f0p") // the veth's peer dies with it, asynchronously

	if err := n.plugin().unprepare(ctx, refsOf(claims)); err != nil {
		t.Fatalf("unprepare: %v", err)
	}
	for _, gone := range []string{"ens1f0", "ens1f0p", "ens2v0"} {
		delete(before.Links, gone)
	}
	n.requireClean("after unprepare", before)
}
