package nri

import (
	"testing"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

func ptrTo[T any](v T) *T { return &v }

// The host kernel has no SR-IOV, so the PF here is a veth without VFs: the snapshot of
// the PF's VF entry fails, and it must fail before anything is persisted or moved.
func TestRunPodSandbox_VFSnapshotFailureLeavesNodeAndCheckpointAlone(t *testing.T) {
	f := newFixture(t)
	nic, dev := testDevice(0)
	pf := netnstest.NIC{Name: "pf0", MAC: "02:00:00:00:00:f0", MTU: 1500, Up: true}
	f.addNICs(nic, pf)
	dev.VF = &plan.VFPlan{PFName: pf.Name, Index: 2, Settings: plan.VFSettings{Trust: ptrTo(true)}}
	claim := newClaim("claim-a", "pod-uid-a", dev)
	f.seed(claim)
	before := f.snapshotNode(nic.Name, pf.Name)
	writes := f.countApplies(claim)

	err := f.plugin.RunPodSandbox(f.ctx, sandbox("sandbox-1", "pod-uid-a", f.PodPath))

	netnstest.RequireErrorContains(t, err, "claim-a", nic.Name, "VF 2", "pf0", "has 0 VFs, so no VF 2", "sriov_numvfs")
	f.requireNode(before)
	f.RequireLinks(f.Pod, "pod netns", "lo")
	f.requireCheckpoint(claim)
	f.requireNoStatusWrites(writes)
}
