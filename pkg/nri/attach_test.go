package nri

import (
	"testing"

	nriapi "github.com/containerd/nri/pkg/api"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

func TestRunStopPodSandbox_ConfiguresPodThenRestoresNodeExactly(t *testing.T) {
	for _, tc := range []struct {
		name    string
		macvlan bool
		up      bool
	}{
		{name: "up veth", up: true},
		{name: "down macvlan on a veth parent", macvlan: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			nic, dev := testDevice(0)
			nic.Up = tc.up
			if tc.macvlan {
				// A macvlan's MTU cannot exceed its parent's (EINVAL).
				dev.Target.MTU = 1400
				f.AddMacvlanNIC(nic)
			} else {
				f.AddVethNIC(nic)
			}
			claim := newClaim("claim-a", "pod-uid-a", dev)
			f.seed(claim)
			before := f.snapshotNode(nic.Name)
			wantAtt := &plan.Attachment{SandboxID: "sandbox-1", NetnsPath: f.PodPath, Originals: []plan.Original{f.originalOf(nic)}}
			pod := sandbox("sandbox-1", "pod-uid-a", f.PodPath)

			if err := f.plugin.RunPodSandbox(f.ctx, pod); err != nil {
				t.Fatalf("RunPodSandbox: %v", err)
			}
			f.RequireState(f.Pod, "net1", podState(nic, dev))
			f.RequireLinks(f.Pod, "pod netns after RunPodSandbox", "lo", "net1")
			f.requireAttachment(claim.UID, wantAtt)
			f.waitStatus(claim, []deviceStatus{wantReady(nic, dev)})

			if err := f.plugin.StopPodSandbox(f.ctx, stopEvent(pod)); err != nil {
				t.Fatalf("StopPodSandbox: %v", err)
			}
			f.requireNode(before)
			f.RequireLinks(f.Pod, "pod netns after StopPodSandbox", "lo")
			f.requireAttachment(claim.UID, nil)
			f.waitStatus(claim, nil)
		})
	}
}

func TestRunPodSandbox_AttachesEveryDeviceOfEveryClaimOfThePod(t *testing.T) {
	f := newFixture(t)
	nic0, dev0 := testDevice(0)
	nic1, dev1 := testDevice(1)
	nic2, dev2 := testDevice(2)
	f.addNICs(nic0, nic1, nic2)
	two := newClaim("claim-a", "pod-uid-a", dev0, dev1)
	one := newClaim("claim-b", "pod-uid-a", dev2)
	f.seed(two, one)
	before := f.snapshotNode(nic0.Name, nic1.Name, nic2.Name)
	wantTwo := &plan.Attachment{SandboxID: "sandbox-1", NetnsPath: f.PodPath,
		Originals: []plan.Original{f.originalOf(nic0), f.originalOf(nic1)}}
	wantOne := &plan.Attachment{SandboxID: "sandbox-1", NetnsPath: f.PodPath,
		Originals: []plan.Original{f.originalOf(nic2)}}
	pod := sandbox("sandbox-1", "pod-uid-a", f.PodPath)

	if err := f.plugin.RunPodSandbox(f.ctx, pod); err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	f.RequireState(f.Pod, "net1", podState(nic0, dev0))
	f.RequireState(f.Pod, "net2", podState(nic1, dev1))
	f.RequireState(f.Pod, "net3", podState(nic2, dev2))
	f.RequireLinks(f.Pod, "pod netns", "lo", "net1", "net2", "net3")
	f.requireAttachment(two.UID, wantTwo)
	f.requireAttachment(one.UID, wantOne)
	f.waitStatus(two, []deviceStatus{wantReady(nic0, dev0), wantReady(nic1, dev1)})
	f.waitStatus(one, []deviceStatus{wantReady(nic2, dev2)})

	if err := f.plugin.StopPodSandbox(f.ctx, stopEvent(pod)); err != nil {
		t.Fatalf("StopPodSandbox: %v", err)
	}
	f.requireNode(before)
	f.RequireLinks(f.Pod, "pod netns", "lo")
	f.requireAttachment(two.UID, nil)
	f.requireAttachment(one.UID, nil)
	f.waitStatus(two, nil)
	f.waitStatus(one, nil)
}

// The runtime may deliver RunPodSandbox twice (a retried hook): the second call
// converges on what the first did and must not re-snapshot the device, which by
// then sits in the pod in its pod configuration.
func TestRunPodSandbox_RepeatedIsIdempotent(t *testing.T) {
	f := newFixture(t)
	nic, dev := testDevice(0)
	f.addNICs(nic)
	claim := newClaim("claim-a", "pod-uid-a", dev)
	f.seed(claim)
	before := f.snapshotNode(nic.Name)
	wantAtt := &plan.Attachment{SandboxID: "sandbox-1", NetnsPath: f.PodPath, Originals: []plan.Original{f.originalOf(nic)}}
	pod := sandbox("sandbox-1", "pod-uid-a", f.PodPath)

	for i := range 2 {
		if err := f.plugin.RunPodSandbox(f.ctx, pod); err != nil {
			t.Fatalf("RunPodSandbox #%d: %v", i+1, err)
		}
		f.RequireState(f.Pod, "net1", podState(nic, dev))
		f.RequireLinks(f.Pod, "pod netns", "lo", "net1")
		f.requireAttachment(claim.UID, wantAtt)
	}
	f.waitStatus(claim, []deviceStatus{wantReady(nic, dev)})

	if err := f.plugin.StopPodSandbox(f.ctx, stopEvent(pod)); err != nil {
		t.Fatalf("StopPodSandbox: %v", err)
	}
	f.requireNode(before)
	f.RequireLinks(f.Pod, "pod netns", "lo")
}

func TestRunPodSandbox_RefusesHostNetworkPodAndLeavesDeviceAlone(t *testing.T) {
	for _, tc := range []struct {
		name string
		pod  func() *nriapi.PodSandbox
	}{
		{name: "no network namespace entry", pod: func() *nriapi.PodSandbox { return sandbox("sandbox-1", "pod-uid-a", "") }},
		{name: "no linux section", pod: func() *nriapi.PodSandbox {
			p := sandbox("sandbox-1", "pod-uid-a", "")
			p.Linux = nil
			return p
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			nic, dev := testDevice(0)
			f.addNICs(nic)
			claim := newClaim("claim-a", "pod-uid-a", dev)
			f.seed(claim)
			before := f.snapshotNode(nic.Name)
			writes := f.countApplies(claim)

			err := f.plugin.RunPodSandbox(f.ctx, tc.pod())
			netnstest.RequireErrorContains(t, err, "hostNetwork", claimNs+"/pod-pod-uid-a")
			f.requireNode(before)
			f.RequireLinks(f.Pod, "pod netns", "lo")
			f.requireCheckpoint(claim)
			f.requireNoStatusWrites(writes)
		})
	}
}

// A device that cannot be attached fails the sandbox; devices moved before it,
// of the same claim or of an earlier claim of the pod, go back first, because
// the runtime sends no StopPodSandbox for a sandbox whose hook failed. Once the
// obstacle is gone kubelet's retry succeeds.
func TestRunPodSandbox_RollsBackEarlierDevicesWhenALaterOneFails(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claims func(dev0, dev1 plan.Device) []plan.Claim
	}{
		{name: "second device of the same claim", claims: func(dev0, dev1 plan.Device) []plan.Claim {
			return []plan.Claim{newClaim("claim-a", "pod-uid-a", dev0, dev1)}
		}},
		{name: "device of the pod's second claim", claims: func(dev0, dev1 plan.Device) []plan.Claim {
			return []plan.Claim{newClaim("claim-a", "pod-uid-a", dev0), newClaim("claim-b", "pod-uid-a", dev1)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			nic0, dev0 := testDevice(0)
			nic1, dev1 := testDevice(1)
			nic0.Up = false
			f.addNICs(nic0, nic1)
			claims := tc.claims(dev0, dev1)
			f.seed(claims...)
			f.AddBridge(f.Pod, dev1.Target.Name)
			before := f.snapshotNode(nic0.Name, nic1.Name)
			pod := sandbox("sandbox-1", "pod-uid-a", f.PodPath)

			err := f.plugin.RunPodSandbox(f.ctx, pod)
			netnstest.RequireErrorContains(t, err, nic1.Name, f.PodPath, "net2 is already taken", "choose another interface name")
			f.requireNode(before)
			f.RequireLinks(f.Pod, "pod netns", "lo", "net2")
			f.requireCheckpoint(claims...)
			// A rolled-back claim may have had its Ready status queued; the
			// clearing queued after it must win.
			f.flushStatus()
			for _, c := range claims {
				f.waitStatus(c, nil)
			}

			f.DeleteLink(f.Pod, "net2")
			if err := f.plugin.RunPodSandbox(f.ctx, pod); err != nil {
				t.Fatalf("RunPodSandbox once the name is free: %v", err)
			}
			f.RequireState(f.Pod, "net1", podState(nic0, dev0))
			f.RequireState(f.Pod, "net2", podState(nic1, dev1))
			if err := f.plugin.StopPodSandbox(f.ctx, stopEvent(pod)); err != nil {
				t.Fatalf("StopPodSandbox: %v", err)
			}
			f.requireNode(before)
		})
	}
}

// kubelet replaced the pod's sandbox without StopPodSandbox of the old one reaching
// the plugin (it was down, or the old sandbox died): the new sandbox's
// RunPodSandbox brings the devices home from the old netns, then attaches them to
// the new one, restoring later to the state from before the FIRST attach.
func TestRunPodSandbox_NewSandboxTakesDevicesFromVanishedOne(t *testing.T) {
	f := newFixture(t)
	nic, dev := testDevice(0)
	f.addNICs(nic)
	claim := newClaim("claim-a", "pod-uid-a", dev)
	f.seed(claim)
	before := f.snapshotNode(nic.Name)
	orig := f.originalOf(nic)
	if err := f.plugin.RunPodSandbox(f.ctx, sandbox("sandbox-1", "pod-uid-a", f.PodPath)); err != nil {
		t.Fatalf("RunPodSandbox of the first sandbox: %v", err)
	}
	newPath, newPod := netnstest.NewPodNetns(t)
	pod2 := sandbox("sandbox-2", "pod-uid-a", newPath)

	if err := f.plugin.RunPodSandbox(f.ctx, pod2); err != nil {
		t.Fatalf("RunPodSandbox of the new sandbox: %v", err)
	}
	f.RequireState(newPod, "net1", podState(nic, dev))
	f.RequireLinks(newPod, "new pod netns", "lo", "net1")
	f.RequireLinks(f.Pod, "old pod netns", "lo")
	f.requireAttachment(claim.UID, &plan.Attachment{SandboxID: "sandbox-2", NetnsPath: newPath, Originals: []plan.Original{orig}})
	f.waitStatus(claim, []deviceStatus{wantReady(nic, dev)})

	if err := f.plugin.StopPodSandbox(f.ctx, stopEvent(pod2)); err != nil {
		t.Fatalf("StopPodSandbox: %v", err)
	}
	f.requireNode(before)
	f.RequireLinks(newPod, "new pod netns", "lo")
	f.requireAttachment(claim.UID, nil)
}
