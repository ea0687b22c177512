package nri

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/plan"
)

func TestAttachSpec_CarriesVLANSubInterfaceVRFAndRules(t *testing.T) {
	prio := 100
	d := plan.Device{
		Host:   plan.HostLink{Name: "ens5", PCIAddress: "0000:5e:00.0", HardwareAddr: "02:00:00:00:05:00"},
		Target: plan.Interface{Name: "net1"},
		Mode:   plan.ModeVLAN,
		VLAN:   &plan.VLAN{ID: 100, QoS: 3, Protocol: "802.1ad"},
		VRF:    &plan.VRF{Name: "blue", Table: 1001},
		Rules: []plan.Rule{
			{Priority: &prio, From: "192.0.2.0/24", Table: 1001},
			{To: "2001:db8::/32", Table: 1002},
		},
	}
	got := attachSpec(d)
	want := netdev.AttachSpec{
		Link:   netdev.LinkRef{Name: "ens5", PCIAddress: "0000:5e:00.0", HardwareAddr: "02:00:00:00:05:00"},
		Target: netdev.Target{Name: "net1"},
		Routes: []netdev.Route{},
		VLAN:   &netdev.VLAN{ID: 100, QoS: 3, Protocol: "802.1ad"},
		VRF:    &netdev.VRF{Name: "blue", Table: 1001},
		Rules: []netdev.Rule{
			{Priority: &prio, From: "192.0.2.0/24", Table: 1001},
			{To: "2001:db8::/32", Table: 1002},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attachSpec (-want +got):\n%s", diff)
	}
	if got.Rules[0].Priority == d.Rules[0].Priority {
		t.Error("the spec's rule priority points into the plan; it must be a copy")
	}
}

// Only mode vlan makes a sub-interface: a VLAN in a passthrough plan (a VF's hardware
// tag, set on the PF) must not turn the attach into a sub-interface.
func TestAttachSpec_VLANWithoutModeVLANIsNoSubInterface(t *testing.T) {
	for _, mode := range []string{"", plan.ModePassthrough} {
		d := plan.Device{Host: plan.HostLink{Name: "ens1f0v1"}, Target: plan.Interface{Name: "net1"}, Mode: mode, VLAN: &plan.VLAN{ID: 100}}
		if got := attachSpec(d).VLAN; got != nil {
			t.Errorf("mode %q: attachSpec has a sub-interface VLAN %+v, want none", mode, *got)
		}
	}
}
