package inventory

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// claims stands in for the checkpoint: the devices its claims hold.
type claims map[string]bool

func (c claims) devicesInUse() map[string]bool { return c }

func TestView_DeviceInUseKeepsItsDescriptionAcrossRescans(t *testing.T) {
	held := claims{}
	nic := Device{Name: "nic-a", Kind: KindNIC, IfName: "ens3", MTU: 1500}
	vf := Device{Name: "pci-0000-3b-02-0", Kind: KindVF, IfName: "ens1f0v0", MAC: "02:00:00:00:00:01", MTU: 9000}
	vfInPod := vf
	vfInPod.IfName, vfInPod.MAC, vfInPod.MTU = "", "", 0

	view := NewView(held.devicesInUse)
	if diff := cmp.Diff([]Device{nic, vf}, view.Update([]Device{vf, nic})); diff != "" {
		t.Fatalf("first scan (-want +got):\n%s", diff)
	}
	held[vf.Name] = true

	// The VF's netdev is in the pod: discovery sees it without its link facts.
	if diff := cmp.Diff([]Device{nic, vf}, view.Update([]Device{nic, vfInPod})); diff != "" {
		t.Errorf("rescan with the VF in a pod (-want +got):\n%s", diff)
	}
	// A virtual stand-in vanishes from the host entirely.
	if diff := cmp.Diff([]Device{nic, vf}, view.Update([]Device{nic})); diff != "" {
		t.Errorf("rescan without the device (-want +got):\n%s", diff)
	}
	if got, ok := view.Lookup(vf.Name); !ok || got.IfName != "ens1f0v0" {
		t.Errorf("Lookup(%s) = %+v, %v; want the description from before the claim", vf.Name, got, ok)
	}

	// Released: the scan is the truth again.
	delete(held, vf.Name)
	if diff := cmp.Diff([]Device{nic}, view.Update([]Device{nic})); diff != "" {
		t.Errorf("rescan after release (-want +got):\n%s", diff)
	}
}

func TestView_RestartWithDeviceInPodDoesNotInventIt(t *testing.T) {
	held := claims{"pci-0000-3b-02-0": true}
	nic := Device{Name: "nic-a", Kind: KindNIC, IfName: "ens3"}
	view := NewView(held.devicesInUse)
	if diff := cmp.Diff([]Device{nic}, view.Update([]Device{nic})); diff != "" {
		t.Errorf("devices (-want +got):\n%s", diff)
	}
	if _, ok := view.Lookup("pci-0000-3b-02-0"); ok {
		t.Error("a device never seen by this process must not be looked up")
	}
}
