package nri

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

func ptrTo[T any](v T) *T { return &v }

func TestAttachSpec_CarriesTheVFPlan(t *testing.T) {
	d := plan.Device{
		Host: plan.HostLink{Name: "eth3", PCIAddress: "0000:01:10.6"},
		VF: &plan.VFPlan{PFName: "eth0", PFPCIAddress: "0000:01:00.0", Index: 3, Settings: plan.VFSettings{
			MAC: "02:00:00:00:aa:01", VLAN: &plan.VLAN{ID: 100, QoS: 5, Protocol: "802.1ad"},
			SpoofCheck: ptrTo(true), Trust: ptrTo(false), MinTxRateMbps: ptrTo(10), MaxTxRateMbps: ptrTo(1000), LinkState: "enable",
		}},
	}
	want := &netdev.VFSpec{
		PF: netdev.LinkRef{Name: "eth0", PCIAddress: "0000:01:00.0"}, Index: 3,
		Settings: netdev.VFSettings{
			MAC: "02:00:00:00:aa:01", VLAN: &netdev.VFVLAN{ID: 100, QoS: 5, Protocol: "802.1ad"},
			SpoofCheck: ptrTo(true), Trust: ptrTo(false), MinTxRateMbps: ptrTo(10), MaxTxRateMbps: ptrTo(1000), LinkState: "enable",
		},
	}
	if diff := cmp.Diff(want, attachSpec(d).VF); diff != "" {
		t.Errorf("attachSpec(d).VF (-want +got):\n%s", diff)
	}
	if got := attachSpec(plan.Device{Host: d.Host}).VF; got != nil {
		t.Errorf("attachSpec of a device without a VF plan has VF %+v, want nil", got)
	}
}

func TestOriginal_RoundTripsTheVFSnapshot(t *testing.T) {
	orig := netdev.Original{Name: "eth3", Index: 9, MTU: 1500, HardwareAddr: "02:00:00:00:10:06", Up: true,
		VF: &netdev.VFSettings{MAC: "00:00:00:00:00:00", VLAN: &netdev.VFVLAN{Protocol: "802.1Q"},
			SpoofCheck: ptrTo(true), Trust: ptrTo(false), MinTxRateMbps: ptrTo(0), MaxTxRateMbps: ptrTo(0), LinkState: "auto"}}
	p := toPlanOriginal(orig)
	wantVF := &plan.VFOriginal{MAC: "00:00:00:00:00:00", VLAN: &plan.VLAN{Protocol: "802.1Q"},
		SpoofCheck: ptrTo(true), Trust: ptrTo(false), MinTxRateMbps: ptrTo(0), MaxTxRateMbps: ptrTo(0), LinkState: "auto"}
	if diff := cmp.Diff(wantVF, p.VF); diff != "" {
		t.Errorf("toPlanOriginal(orig).VF (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(orig, toNetdevOriginal(p)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

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
