package nri

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netclaim/netclaim/pkg/plan"
)

// A vfio-pci device reaches the pod through its CDI spec: it has no netdev, so attach
// must move only the claim's other devices and detach must not look for it.
func TestRunStopPodSandbox_LeaveVFIODevicesToCDI(t *testing.T) {
	f := newFixture(t)
	nic, dev := testDevice(0)
	f.addNICs(nic)
	dpdk := plan.Device{
		Request: "dpdk", Pool: poolName, Device: "pci-0000-3b-02-1",
		Host: plan.HostLink{PCIAddress: "0000:3b:02.1"},
		VFIO: &plan.VFIO{GroupDevice: "/dev/vfio/12", Rebind: &plan.Binding{Driver: "igbvf"}},
	}
	claim := newClaim("claim-a", "pod-uid-a", dpdk, dev)
	f.seed(claim)
	before := f.snapshotNode(nic.Name)
	wantAtt := &plan.Attachment{SandboxID: "sandbox-1", NetnsPath: f.PodPath, Originals: []plan.Original{{}, f.originalOf(nic)}}
	pod := sandbox("sandbox-1", "pod-uid-a", f.PodPath)

	if err := f.plugin.RunPodSandbox(f.ctx, pod); err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	f.RequireState(f.Pod, "net1", podState(nic, dev))
	f.RequireLinks(f.Pod, "pod netns after RunPodSandbox", "lo", "net1")
	f.requireAttachment(claim.UID, wantAtt)
	f.waitStatus(claim, []deviceStatus{
		{Driver: driverName, Pool: poolName, Device: dpdk.Device, Ready: metav1.ConditionTrue},
		wantReady(nic, dev),
	})

	if err := f.plugin.StopPodSandbox(f.ctx, stopEvent(pod)); err != nil {
		t.Fatalf("StopPodSandbox: %v", err)
	}
	f.requireNode(before)
	f.RequireLinks(f.Pod, "pod netns after StopPodSandbox", "lo")
	f.requireAttachment(claim.UID, nil)
}
