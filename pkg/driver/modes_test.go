package driver

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/plan"
)

// pf1 is an SR-IOV PF without VFs, which is published whole like a NIC.
var pf1 = inventory.Device{Name: "pci-0000-af-00-0", Kind: inventory.KindPF, IfName: "ens7f0", PCIAddress: "0000:af:00.0",
	Driver: "ice", MAC: "02:00:00:00:07:00", MTU: 9000}

func TestPrepare_PlansVLANSubInterfaceVRFAndRules(t *testing.T) {
	for _, tc := range []struct {
		name     string
		config   string
		wantVLAN *plan.VLAN
	}{
		{
			name:     "802.1Q by default",
			config:   "vlan: {id: 100}\n",
			wantVLAN: &plan.VLAN{ID: 100, Protocol: "802.1Q"},
		},
		{
			name:     "802.1ad with a priority",
			config:   "vlan: {id: 4094, qos: 5, protocol: 802.1ad}\n",
			wantVLAN: &plan.VLAN{ID: 4094, QoS: 5, Protocol: "802.1ad"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nic1)
			claim := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", nic1.Name)},
				configs: []resourceapi.DeviceAllocationConfiguration{
					classConfig(t, cfgHeader+"interface: {mode: vlan, mtu: 1400}\n"+tc.config+
						"vrf: {name: blue, table: 1001}\n"+
						"rules: [{priority: 100, from: 192.0.2.0/24, table: 1001}, {to: \"2001:db8::/32\", table: 1002}]\n"),
					claimConfig(t, cfgHeader+"addresses: [192.0.2.10/24]\nroutes: [{destination: 0.0.0.0/0, gateway: 192.0.2.1, table: 1001}]\n"),
				}}.build()

			f.mustPrepare(t, claim)

			got := f.checkpointed(t)["uid-a"].Devices
			prio := 100
			want := []plan.Device{{
				Request: "data", Pool: testNode, Device: nic1.Name,
				Host:      plan.HostLink{Name: nic1.IfName, PCIAddress: nic1.PCIAddress, HardwareAddr: nic1.MAC},
				Target:    plan.Interface{Name: "net1", MTU: 1400},
				Addresses: []string{"192.0.2.10/24"},
				Routes:    []plan.Route{{Destination: "0.0.0.0/0", Gateway: "192.0.2.1", Table: 1001}},
				Mode:      plan.ModeVLAN,
				VLAN:      tc.wantVLAN,
				VRF:       &plan.VRF{Name: "blue", Table: 1001},
				Rules: []plan.Rule{
					{Priority: &prio, From: "192.0.2.0/24", Table: 1001},
					{To: "2001:db8::/32", Table: 1002},
				},
			}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("planned devices (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrepare_PassthroughPlanHasNoSubInterface(t *testing.T) {
	f := newFixture(t, vf1)
	claim := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)},
		configs: []resourceapi.DeviceAllocationConfiguration{classConfig(t, cfgHeader+"interface: {mode: passthrough}\n")}}.build()

	f.mustPrepare(t, claim)

	d := f.checkpointed(t)["uid-a"].Devices[0]
	if d.Mode != "" || d.VLAN != nil || d.VRF != nil || d.Rules != nil {
		t.Errorf("passthrough plan has mode %q, VLAN %v, VRF %v, rules %v; want none", d.Mode, d.VLAN, d.VRF, d.Rules)
	}
}

func TestPrepare_RefusesModesAndVLANsTheDeviceCannotCarry(t *testing.T) {
	for _, tc := range []struct {
		name    string
		device  string
		config  string
		wantErr []string
	}{
		{
			name: "mode vlan on a VF", device: vf1.Name,
			config:  "interface: {mode: vlan}\nvlan: {id: 100}\n",
			wantErr: []string{"device " + vf1.Name, "interface.mode vlan is not supported on a VF", "ens1f0v1 (0000:3b:02.1)", "omit interface.mode and keep vlan"},
		},
		{
			name: "vlan on a passthrough NIC", device: nic1.Name,
			config:  "vlan: {id: 100}\n",
			wantErr: []string{"device " + nic1.Name, "vlan is set but interface.mode is passthrough", "nic ens5", "set interface.mode: vlan"},
		},
		{
			name: "vlan on a passthrough PF", device: pf1.Name,
			config:  "interface: {mode: passthrough}\nvlan: {id: 100}\n",
			wantErr: []string{"device " + pf1.Name, "vlan is set but interface.mode is passthrough", "pf ens7f0"},
		},
		{
			name: "mode vlan without a VLAN", device: nic1.Name,
			config:  "interface: {mode: vlan}\n",
			wantErr: []string{"device " + nic1.Name, "vlan.id", "interface.mode vlan creates an 802.1Q sub-interface"},
		},
		{
			name: "macvlan mode names the implemented modes", device: nic1.Name,
			config:  "interface: {mode: macvlan}\n",
			wantErr: []string{"device " + nic1.Name, "config interface.mode: Forbidden: not implemented yet", "only passthrough and vlan are"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, vf1, nic1, pf1)
			claim := claimSpec{name: "bad", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", tc.device)},
				configs: []resourceapi.DeviceAllocationConfiguration{classConfig(t, cfgHeader+tc.config)}}.build()

			results := f.prepare(t, claim)

			wantErrContaining(t, results[claim.UID].Err, append([]string{"claim telco/bad"}, tc.wantErr...)...)
			if _, ok := f.checkpointed(t)[string(claim.UID)]; ok {
				t.Error("refused claim is in the checkpoint")
			}
		})
	}
}
