package nri

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netclaim/netclaim/pkg/claimstatus"
	"github.com/netclaim/netclaim/pkg/plan"
)

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
