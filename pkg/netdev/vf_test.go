package netdev

import (
	"context"
	"errors"
	"testing"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

// The host kernel has no SR-IOV: a veth stands in for a PF, and it has no VFs. These
// tests cover what must hold whatever the PF's driver does; vf_vm_test.go covers real
// VF entries (netdevsim, igb).

func TestAttach_VFSettingsFailureLeavesDeviceOnHost(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:30:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	tb.AddVethNIC(netnstest.NIC{Name: "pf0", MAC: "02:00:00:00:30:f0", MTU: 1500, Up: true})
	ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
	spec := podSpec(ref, plan.Interface{Name: "net1", HardwareAddr: "02:aa:00:00:30:01"})
	spec.VF = &plan.VFPlan{PFName: "pf0", Index: 1, Settings: plan.VFSettings{MAC: "02:aa:00:00:30:01"}}
	before := tb.State(tb.Node, nic.Name)

	err := tb.host.Attach(context.Background(), spec, tb.PodPath)

	netnstest.RequireErrorContains(t, err, "attaching nic0", "PF pf0 (driver unknown) has 0 VFs, so no VF 1")
	tb.RequireState(tb.Node, nic.Name, before)
	tb.RequireLinks(tb.Pod, "pod netns", "lo")
}

func TestSnapshotVF_NamesThePFAndTheMissingVF(t *testing.T) {
	tb := newTestbed(t)
	tb.AddVethNIC(netnstest.NIC{Name: "pf0", MAC: "02:00:00:00:31:f0", MTU: 1500, Up: true})

	_, err := tb.host.SnapshotVF(plan.VFPlan{PFName: "pf0", Index: 0, Settings: plan.VFSettings{Trust: ptrTo(true)}})
	netnstest.RequireErrorContains(t, err, "snapshot of VF 0", "PF pf0 (driver unknown) has 0 VFs, so no VF 0")

	_, err = tb.host.SnapshotVF(plan.VFPlan{PFName: "nopf", Index: 0, Settings: plan.VFSettings{Trust: ptrTo(true)}})
	netnstest.RequireErrorContains(t, err, "PF nopf of VF 0: not found in host netns")
}

// A virtual stand-in destroyed with its netns reads as ErrDeviceGone, which callers
// treat as a finished detach. A VF entry that could not be restored must not hide
// behind it: the PF still holds our settings.
func TestDetach_VFRestoreFailureIsNotReportedAsDeviceGone(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:32:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	tb.AddVethNIC(netnstest.NIC{Name: "pf0", MAC: "02:00:00:00:32:f0", MTU: 1500, Up: true})
	ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
	spec := podSpec(ref, plan.Interface{Name: "net1"})
	orig, err := tb.host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	tb.DeletePod()
	tb.WaitLinkGone(tb.Node, nic.Name+"p")
	spec.VF = &plan.VFPlan{PFName: "pf0", Index: 0, Settings: plan.VFSettings{Trust: ptrTo(true)}}
	orig.VF = &plan.VFOriginal{Trust: ptrTo(false)}

	err = tb.host.Detach(context.Background(), spec, orig, tb.PodPath)

	netnstest.RequireErrorContains(t, err, "restoring VF 0 on PF pf0", "has 0 VFs", "and the VF netdev", "device no longer exists")
	if errors.Is(err, ErrDeviceGone) {
		t.Errorf("Detach error %q matches ErrDeviceGone; the VF's failure would be taken for a finished detach", err)
	}
}
