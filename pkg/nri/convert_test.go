package nri

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netclaim/netclaim/pkg/claimstatus"
	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/plan"
)

func TestAttachSpec_CarriesEveryPlanField(t *testing.T) {
	d := plan.Device{
		Request: "data", Pool: "node-a", Device: "pci-0000-3b-02-1",
		Host:      plan.HostLink{Name: "ens1f0v1", PCIAddress: "0000:3b:02.1", HardwareAddr: "02:00:00:00:00:01", MTU: 1500},
		Target:    plan.Interface{Name: "net1", MTU: 9000, HardwareAddr: "02:aa:00:00:00:01"},
		Addresses: []string{"10.1.0.10/24", "fd00:1::10/64"},
		Routes: []plan.Route{
			{Gateway: "10.1.0.1"},
			{Destination: "10.200.0.0/16", Gateway: "10.1.0.1", Table: 100},
			{Destination: "10.2.0.0/16"},
		},
	}
	want := netdev.AttachSpec{
		Link:      netdev.LinkRef{Name: "ens1f0v1", HardwareAddr: "02:00:00:00:00:01", PCIAddress: "0000:3b:02.1"},
		Target:    netdev.Target{Name: "net1", MTU: 9000, HardwareAddr: "02:aa:00:00:00:01"},
		Addresses: []string{"10.1.0.10/24", "fd00:1::10/64"},
		Routes: []netdev.Route{
			{Gateway: "10.1.0.1"},
			{Destination: "10.200.0.0/16", Gateway: "10.1.0.1", Table: 100},
			{Destination: "10.2.0.0/16"},
		},
	}
	if diff := cmp.Diff(want, attachSpec(d)); diff != "" {
		t.Errorf("attachSpec (-want +got):\n%s", diff)
	}
}

func TestOriginal_RoundTripsBetweenNetdevAndPlan(t *testing.T) {
	orig := netdev.Original{Name: "ens1f0v1", Index: 7, MTU: 1500, HardwareAddr: "02:00:00:00:00:01", Up: true}
	p := toPlanOriginal(orig)
	if diff := cmp.Diff(plan.Original{Name: "ens1f0v1", Index: 7, MTU: 1500, HardwareAddr: "02:00:00:00:00:01", Up: true}, p); diff != "" {
		t.Errorf("toPlanOriginal (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(orig, toNetdevOriginal(p)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestReadyStatus_ReportsWhatThePodGot(t *testing.T) {
	withMAC := plan.Device{Pool: "node-a", Device: "nic0",
		Target: plan.Interface{Name: "net1", HardwareAddr: "02:aa:00:00:00:01"}, Addresses: []string{"10.1.0.10/24", "fd00:1::10/64"}}
	keepsMAC := plan.Device{Pool: "node-a", Device: "nic1", Target: plan.Interface{Name: "net2"}, Addresses: []string{"10.2.0.10/24"}}
	claim := plan.Claim{UID: "uid-1", Namespace: "team-a", Name: "claim-a", Devices: []plan.Device{withMAC, keepsMAC}}
	for _, tc := range []struct {
		name       string
		attachment *plan.Attachment
		// wantMACs per device: the target MAC, else the device's own one
		// from the snapshot, else unknown.
		wantMACs [2]string
	}{
		{
			name: "own MAC from the snapshot",
			attachment: &plan.Attachment{Originals: []plan.Original{
				{Name: "nic0", HardwareAddr: "02:00:00:00:00:01"}, {Name: "nic1", HardwareAddr: "02:00:00:00:00:02"},
			}},
			wantMACs: [2]string{"02:aa:00:00:00:01", "02:00:00:00:00:02"},
		},
		{name: "no attachment", wantMACs: [2]string{"02:aa:00:00:00:01", ""}},
		{
			name:       "fewer originals than devices",
			attachment: &plan.Attachment{Originals: []plan.Original{{Name: "nic0", HardwareAddr: "02:00:00:00:00:01"}}},
			wantMACs:   [2]string{"02:aa:00:00:00:01", ""},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := claim
			c.Attachment = tc.attachment
			want := claimstatus.Update{Namespace: "team-a", Name: "claim-a", UID: "uid-1", Devices: []claimstatus.DeviceStatus{
				{Pool: "node-a", Device: "nic0", InterfaceName: "net1", IPs: []string{"10.1.0.10/24", "fd00:1::10/64"}, HardwareAddress: tc.wantMACs[0], Ready: true},
				{Pool: "node-a", Device: "nic1", InterfaceName: "net2", IPs: []string{"10.2.0.10/24"}, HardwareAddress: tc.wantMACs[1], Ready: true},
			}}
			if diff := cmp.Diff(want, readyStatus(c)); diff != "" {
				t.Errorf("readyStatus (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClearedStatus_HasNoDevices(t *testing.T) {
	c := plan.Claim{UID: "uid-1", Namespace: "team-a", Name: "claim-a", Devices: []plan.Device{{Pool: "p", Device: "d"}}}
	want := claimstatus.Update{Namespace: "team-a", Name: "claim-a", UID: "uid-1"}
	if diff := cmp.Diff(want, clearedStatus(c)); diff != "" {
		t.Errorf("clearedStatus (-want +got):\n%s", diff)
	}
}
