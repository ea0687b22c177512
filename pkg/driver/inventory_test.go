package driver

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/plan"
)

func TestInventory_DeviceInUseKeepsItsDescriptionAcrossRescans(t *testing.T) {
	store, err := checkpoint.Open(filepath.Join(t.TempDir(), "checkpoint.json"))
	if err != nil {
		t.Fatal(err)
	}
	nic := inventory.Device{Name: "nic-a", Kind: inventory.KindNIC, IfName: "ens3", MTU: 1500}
	vf := inventory.Device{Name: "pci-0000-3b-02-0", Kind: inventory.KindVF, IfName: "ens1f0v0", MAC: "02:00:00:00:00:01", MTU: 9000}
	vfInPod := vf
	vfInPod.IfName, vfInPod.MAC, vfInPod.MTU = "", "", 0

	inv := NewInventory(store)
	if diff := cmp.Diff([]inventory.Device{nic, vf}, inv.Update([]inventory.Device{vf, nic})); diff != "" {
		t.Fatalf("first scan (-want +got):\n%s", diff)
	}
	if err := store.Put(plan.Claim{UID: "c1", PodUID: "p1", Devices: []plan.Device{{Device: vf.Name}}}); err != nil {
		t.Fatal(err)
	}

	// The VF's netdev is in the pod: discovery sees it without its link facts.
	if diff := cmp.Diff([]inventory.Device{nic, vf}, inv.Update([]inventory.Device{nic, vfInPod})); diff != "" {
		t.Errorf("rescan with the VF in a pod (-want +got):\n%s", diff)
	}
	// A virtual stand-in vanishes from the host entirely.
	if diff := cmp.Diff([]inventory.Device{nic, vf}, inv.Update([]inventory.Device{nic})); diff != "" {
		t.Errorf("rescan without the device (-want +got):\n%s", diff)
	}
	if got, ok := inv.Lookup(vf.Name); !ok || got.IfName != "ens1f0v0" {
		t.Errorf("Lookup(%s) = %+v, %v; want the description from before the claim", vf.Name, got, ok)
	}

	// Released: the scan is the truth again.
	if err := store.Delete("c1"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]inventory.Device{nic}, inv.Update([]inventory.Device{nic})); diff != "" {
		t.Errorf("rescan after release (-want +got):\n%s", diff)
	}
}

func TestInventory_RestartWithDeviceInPodDoesNotInventIt(t *testing.T) {
	store, err := checkpoint.Open(filepath.Join(t.TempDir(), "checkpoint.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Put(plan.Claim{UID: "c1", PodUID: "p1", Devices: []plan.Device{{Device: "pci-0000-3b-02-0"}}}); err != nil {
		t.Fatal(err)
	}
	nic := inventory.Device{Name: "nic-a", Kind: inventory.KindNIC, IfName: "ens3"}
	inv := NewInventory(store)
	if diff := cmp.Diff([]inventory.Device{nic}, inv.Update([]inventory.Device{nic})); diff != "" {
		t.Errorf("devices (-want +got):\n%s", diff)
	}
	if _, ok := inv.Lookup("pci-0000-3b-02-0"); ok {
		t.Error("a device never seen by this process must not be looked up")
	}
}
