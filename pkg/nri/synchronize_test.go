package nri

import (
	"testing"

	nriapi "github.com/containerd/nri/pkg/api"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

// On (re)connect the runtime lists the sandboxes it has. A sandbox that is not
// among them vanished while the plugin was away: its devices come home now. The
// devices of listed sandboxes stay where they are.
func TestSynchronize_RestoresDevicesOfSandboxesTheRuntimeNoLongerHas(t *testing.T) {
	f := newFixture(t)
	nicA, devA := testDevice(0)
	nicB, devB := testDevice(1)
	f.addNICs(nicA, nicB)
	claimA := newClaim("claim-a", "pod-uid-a", devA)
	claimB := newClaim("claim-b", "pod-uid-b", devB)
	f.seed(claimA, claimB)
	before := f.snapshotNode(nicA.Name)
	// nicB stays in its pod.
	before.Links = without(before.Links, nicB.Name)
	attB := &plan.Attachment{SandboxID: "sandbox-b", Originals: []plan.Original{f.originalOf(nicB)}}
	pathB, podB := netnstest.NewPodNetns(t)
	attB.NetnsPath = pathB
	sandboxA := sandbox("sandbox-a", "pod-uid-a", f.PodPath)
	sandboxB := sandbox("sandbox-b", "pod-uid-b", pathB)
	for _, pod := range []*nriapi.PodSandbox{sandboxA, sandboxB} {
		if err := f.plugin.RunPodSandbox(f.ctx, pod); err != nil {
			t.Fatalf("RunPodSandbox of %s: %v", pod.GetId(), err)
		}
	}
	f.waitStatus(claimA, []deviceStatus{wantReady(nicA, devA)})
	f.waitStatus(claimB, []deviceStatus{wantReady(nicB, devB)})
	writesB := f.countApplies(claimB)

	updates, err := f.plugin.Synchronize(f.ctx, []*nriapi.PodSandbox{sandboxB}, nil)
	if err != nil {
		t.Fatalf("Synchronize: %v", err)
	}
	if len(updates) != 0 {
		t.Errorf("Synchronize asked for container updates %v, want none", updates)
	}
	f.requireNode(before)
	f.RequireLinks(f.Pod, "netns of the vanished sandbox", "lo")
	f.requireAttachment(claimA.UID, nil)
	f.waitStatus(claimA, nil)

	f.RequireState(podB, "net2", podState(nicB, devB))
	f.requireAttachment(claimB.UID, attB)
	f.requireNoStatusWrites(writesB)
}
