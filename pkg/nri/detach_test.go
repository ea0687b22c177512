package nri

import (
	"slices"
	"testing"

	nriapi "github.com/containerd/nri/pkg/api"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

// attachedFixture is a node whose pod-uid-a sandbox-1 has claim-a's device
// (testDevice(0) on a veth) attached, with its Ready status written.
type attachedFixture struct {
	*fixture
	nic    netnstest.NIC
	dev    plan.Device
	claim  plan.Claim
	pod    *nriapi.PodSandbox
	before nodeSnapshot
	att    *plan.Attachment
}

func newAttachedFixture(t *testing.T) *attachedFixture {
	t.Helper()
	f := newFixture(t)
	nic, dev := testDevice(0)
	f.addNICs(nic)
	a := &attachedFixture{
		fixture: f, nic: nic, dev: dev,
		claim: newClaim("claim-a", "pod-uid-a", dev),
		pod:   sandbox("sandbox-1", "pod-uid-a", f.PodPath),
	}
	f.seed(a.claim)
	a.before = f.snapshotNode(nic.Name)
	a.att = &plan.Attachment{SandboxID: "sandbox-1", NetnsPath: f.PodPath, Originals: []plan.Original{f.originalOf(nic)}}
	if err := f.plugin.RunPodSandbox(f.ctx, a.pod); err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	f.waitStatus(a.claim, []deviceStatus{wantReady(nic, dev)})
	return a
}

// requireAttached checks that the device is still in the pod and recorded there.
func (a *attachedFixture) requireAttached() {
	a.t.Helper()
	a.RequireState(a.Pod, "net1", podState(a.nic, a.dev))
	a.requireAttachment(a.claim.UID, a.att)
}

// requireRestored checks that the device is back exactly as before attach and
// that the plugin forgot the attachment and cleared the claim's status.
func (a *attachedFixture) requireRestored() {
	a.t.Helper()
	a.requireNode(a.before)
	a.RequireLinks(a.Pod, "pod netns", "lo")
	a.requireAttachment(a.claim.UID, nil)
	a.waitStatus(a.claim, nil)
}

func TestRemovePodSandbox_AfterStopChangesNothing(t *testing.T) {
	a := newAttachedFixture(t)
	if err := a.plugin.StopPodSandbox(a.ctx, stopEvent(a.pod)); err != nil {
		t.Fatalf("StopPodSandbox: %v", err)
	}
	a.requireRestored()
	writes := a.countApplies(a.claim)

	for _, event := range []struct {
		name string
		call func() error
	}{
		{"RemovePodSandbox", func() error { return a.plugin.RemovePodSandbox(a.ctx, stopEvent(a.pod)) }},
		{"StopPodSandbox again", func() error { return a.plugin.StopPodSandbox(a.ctx, stopEvent(a.pod)) }},
	} {
		if err := event.call(); err != nil {
			t.Fatalf("%s: %v", event.name, err)
		}
	}
	a.requireNode(a.before)
	a.requireCheckpoint(a.claim)
	a.requireNoStatusWrites(writes)
}

// RemovePodSandbox alone (containerd sends only that when a sandbox fails after
// the hook succeeded) restores too.
func TestRemovePodSandbox_WithoutStopRestores(t *testing.T) {
	a := newAttachedFixture(t)
	if err := a.plugin.RemovePodSandbox(a.ctx, stopEvent(a.pod)); err != nil {
		t.Fatalf("RemovePodSandbox: %v", err)
	}
	a.requireRestored()
}

func TestStopRemovePodSandbox_BeforeRunChangesNothing(t *testing.T) {
	f := newFixture(t)
	nic, dev := testDevice(0)
	f.addNICs(nic)
	claim := newClaim("claim-a", "pod-uid-a", dev)
	f.seed(claim)
	before := f.snapshotNode(nic.Name)
	writes := f.countApplies(claim)
	pod := sandbox("sandbox-1", "pod-uid-a", "")

	if err := f.plugin.StopPodSandbox(f.ctx, pod); err != nil {
		t.Fatalf("StopPodSandbox: %v", err)
	}
	if err := f.plugin.RemovePodSandbox(f.ctx, pod); err != nil {
		t.Fatalf("RemovePodSandbox: %v", err)
	}
	f.requireNode(before)
	f.RequireLinks(f.Pod, "pod netns", "lo")
	f.requireCheckpoint(claim)
	f.requireNoStatusWrites(writes)
}

// Sandbox events of pods without claims (most pods on a node) are no-ops, even for
// a hostNetwork pod, and leave other pods' attachments alone.
func TestHandlers_IgnorePodsWithoutClaims(t *testing.T) {
	a := newAttachedFixture(t)
	writes := a.countApplies(a.claim)
	otherPath, other := netnstest.NewPodNetns(t)
	for _, pod := range []*nriapi.PodSandbox{
		sandbox("sandbox-9", "pod-uid-other", otherPath),
		sandbox("sandbox-9", "pod-uid-other", ""),
	} {
		if err := a.plugin.RunPodSandbox(a.ctx, pod); err != nil {
			t.Errorf("RunPodSandbox of %s: %v", pod.GetUid(), err)
		}
		if err := a.plugin.StopPodSandbox(a.ctx, stopEvent(pod)); err != nil {
			t.Errorf("StopPodSandbox of %s: %v", pod.GetUid(), err)
		}
		if err := a.plugin.RemovePodSandbox(a.ctx, stopEvent(pod)); err != nil {
			t.Errorf("RemovePodSandbox of %s: %v", pod.GetUid(), err)
		}
	}
	a.RequireLinks(other, "other pod netns", "lo")
	a.requireAttached()
	a.requireNoStatusWrites(writes)
}

// kubelet removes a dead sandbox (RemovePodSandbox from its garbage collection)
// after it started the pod's replacement sandbox: that must not take the devices
// away from the running one.
func TestRemovePodSandbox_OfOldSandboxLeavesNewSandboxAttached(t *testing.T) {
	a := newAttachedFixture(t)
	newPath, newPod := netnstest.NewPodNetns(t)
	pod2 := sandbox("sandbox-2", "pod-uid-a", newPath)
	if err := a.plugin.RunPodSandbox(a.ctx, pod2); err != nil {
		t.Fatalf("RunPodSandbox of the new sandbox: %v", err)
	}
	att2 := &plan.Attachment{SandboxID: "sandbox-2", NetnsPath: newPath, Originals: a.att.Originals}
	a.requireAttachment(a.claim.UID, att2)
	a.flushStatus()
	writes := a.countApplies(a.claim)

	if err := a.plugin.StopPodSandbox(a.ctx, stopEvent(a.pod)); err != nil {
		t.Fatalf("StopPodSandbox of the old sandbox: %v", err)
	}
	if err := a.plugin.RemovePodSandbox(a.ctx, stopEvent(a.pod)); err != nil {
		t.Fatalf("RemovePodSandbox of the old sandbox: %v", err)
	}
	a.RequireState(newPod, "net1", podState(a.nic, a.dev))
	a.requireAttachment(a.claim.UID, att2)
	a.requireNoStatusWrites(writes)

	if err := a.plugin.StopPodSandbox(a.ctx, stopEvent(pod2)); err != nil {
		t.Fatalf("StopPodSandbox of the new sandbox: %v", err)
	}
	a.requireNode(a.before)
	a.RequireLinks(newPod, "new pod netns", "lo")
	a.requireAttachment(a.claim.UID, nil)
}

// CRI-O may delete the pod netns before StopPodSandbox. A virtual device (the veth
// or macvlan standing in for a NIC here) dies with its netns, so there is nothing
// left to restore: Stop must finish the detach (forget the attachment, clear the
// status) instead of failing forever. A physical device or VF would come back to
// the host instead; netdev's tests cover finding it there.
func TestStopPodSandbox_AfterPodNetnsDeletedForgetsDestroyedDevice(t *testing.T) {
	for _, tc := range []struct {
		name    string
		macvlan bool
		// gone are the node devices destroyed with the pod netns.
		gone []string
	}{
		{name: "veth, destroyed with its peer", gone: []string{"nic0", "nic0p"}},
		{name: "macvlan, parent stays", macvlan: true, gone: []string{"nic0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			nic, dev := testDevice(0)
			dev.Target.MTU = 1400
			if tc.macvlan {
				f.AddMacvlanNIC(nic)
			} else {
				f.AddVethNIC(nic)
			}
			claim := newClaim("claim-a", "pod-uid-a", dev)
			f.seed(claim)
			nodeLinks := f.LinkNames(f.Node)
			pod := sandbox("sandbox-1", "pod-uid-a", f.PodPath)
			if err := f.plugin.RunPodSandbox(f.ctx, pod); err != nil {
				t.Fatalf("RunPodSandbox: %v", err)
			}
			f.waitStatus(claim, []deviceStatus{wantReady(nic, dev)})

			f.DeletePod()
			for _, name := range tc.gone {
				f.WaitLinkGone(f.Node, name)
			}
			for i := range 2 {
				if err := f.plugin.StopPodSandbox(f.ctx, stopEvent(pod)); err != nil {
					t.Fatalf("StopPodSandbox #%d after the pod netns was deleted: %v", i+1, err)
				}
			}
			f.requireAttachment(claim.UID, nil)
			f.waitStatus(claim, nil)
			f.RequireLinks(f.Node, "node netns", without(nodeLinks, tc.gone...)...)
		})
	}
}

func TestDetachClaim_RestoresAttachedClaim(t *testing.T) {
	a := newAttachedFixture(t)
	// pkg/driver passes the claim as it read it; DetachClaim re-reads the
	// checkpoint for the attachment.
	if err := a.plugin.DetachClaim(a.ctx, a.claim); err != nil {
		t.Fatalf("DetachClaim: %v", err)
	}
	a.requireRestored()

	writes := a.countApplies(a.claim)
	if err := a.plugin.DetachClaim(a.ctx, a.claim); err != nil {
		t.Fatalf("DetachClaim again: %v", err)
	}
	if err := a.plugin.DetachClaim(a.ctx, newClaim("never-prepared", "pod-uid-a")); err != nil {
		t.Fatalf("DetachClaim of a claim not in the checkpoint: %v", err)
	}
	a.requireNode(a.before)
	a.requireCheckpoint(a.claim)
	a.requireNoStatusWrites(writes)
}

// A restore that fails (another device took the original name on the node) keeps
// the attachment, so the next event or unprepare can retry; the retry succeeds
// once the name is free.
func TestStopPodSandbox_KeepsAttachmentWhenRestoreFailsUntilRetrySucceeds(t *testing.T) {
	a := newAttachedFixture(t)
	a.AddBridge(a.Node, a.nic.Name)
	writes := a.countApplies(a.claim)

	err := a.plugin.StopPodSandbox(a.ctx, stopEvent(a.pod))
	netnstest.RequireErrorContains(t, err, "claim team-a/claim-a", "device nic0", "nic0 is already taken", "rename or remove that device")
	a.requireAttached()
	a.requireNoStatusWrites(writes)

	a.DeleteLink(a.Node, a.nic.Name)
	if err := a.plugin.StopPodSandbox(a.ctx, stopEvent(a.pod)); err != nil {
		t.Fatalf("StopPodSandbox once the name is free: %v", err)
	}
	a.requireRestored()
}

// A plugin restart between attach and stop: a new Plugin, Host and Store (opened
// from the same file) know only what the checkpoint persisted.
func TestStopPodSandbox_AfterPluginRestartRestoresFromCheckpoint(t *testing.T) {
	a := newAttachedFixture(t)
	store := a.openStore(a.store.Path())
	restarted := New(Config{Checkpoint: store, Host: a.openHost(), Status: a.writer})

	if err := restarted.StopPodSandbox(a.ctx, stopEvent(a.pod)); err != nil {
		t.Fatalf("StopPodSandbox after restart: %v", err)
	}
	a.requireNode(a.before)
	a.RequireLinks(a.Pod, "pod netns", "lo")
	if c, _ := store.Get(a.claim.UID); c.Attachment != nil {
		t.Errorf("restarted plugin's store still has attachment %+v", c.Attachment)
	}
	a.store = store
	a.requireAttachment(a.claim.UID, nil)
	a.waitStatus(a.claim, nil)
}

func without(names []string, drop ...string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(drop, n) {
			out = append(out, n)
		}
	}
	return out
}
