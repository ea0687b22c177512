package checkpoint

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netclaim/netclaim/pkg/plan"
)

func TestStore_DevicesInUseFollowPutAndDelete(t *testing.T) {
	s, _ := openTemp(t)
	if got := s.DevicesInUse(); len(got) != 0 {
		t.Errorf("DevicesInUse of an empty store = %v, want none", got)
	}
	two := plan.Claim{UID: "c1", PodUID: "p1", Devices: []plan.Device{{Device: "pci-0000-3b-02-0"}, {Device: "veth-a"}}}
	one := plan.Claim{UID: "c2", PodUID: "p2", Devices: []plan.Device{{Device: "pci-0000-3b-02-1"}}}
	if err := s.Put(two, one); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"pci-0000-3b-02-0": true, "veth-a": true, "pci-0000-3b-02-1": true}
	if diff := cmp.Diff(want, s.DevicesInUse()); diff != "" {
		t.Errorf("DevicesInUse after Put (-want +got):\n%s", diff)
	}

	// Released: the claim's devices are no longer held.
	if err := s.Delete("c1"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"pci-0000-3b-02-1": true}, s.DevicesInUse()); diff != "" {
		t.Errorf("DevicesInUse after Delete (-want +got):\n%s", diff)
	}
}
