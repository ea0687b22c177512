package driver

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/plan"
)

// igbVF is VF 3 of an igb PF whose MTU (9000) is above the VF's own (1500).
var igbVF = inventory.Device{Name: "pci-0000-01-10-6", Kind: inventory.KindVF, IfName: "eth3", PCIAddress: "0000:01:10.6",
	Driver: "igbvf", PFName: "eth0", PFPCIAddress: "0000:01:00.0", PFMTU: 9000, VFIndex: ptrTo(3),
	MAC: "02:00:00:00:10:06", MTU: 1500}

func ptrTo[T any](v T) *T { return &v }

func TestPrepare_PlansVFSettingsOnThePF(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config string
		want   *plan.VFPlan
	}{
		{
			name: "every setting, class and claim merged",
			config: "interface: {mac: \"02:00:00:00:aa:01\"}\nvlan: {id: 100, qos: 5, protocol: 802.1ad}\n" +
				"sriov: {spoofCheck: true, trust: false, minTxRateMbps: 10, maxTxRateMbps: 1000, linkState: enable}\n",
			want: &plan.VFPlan{PFName: "eth0", PFPCIAddress: "0000:01:00.0", Index: 3, Settings: plan.VFSettings{
				MAC: "02:00:00:00:aa:01", VLAN: &plan.VLAN{ID: 100, QoS: 5, Protocol: "802.1ad"},
				SpoofCheck: ptrTo(true), Trust: ptrTo(false), MinTxRateMbps: ptrTo(10), MaxTxRateMbps: ptrTo(1000), LinkState: "enable",
			}},
		},
		{
			name:   "hardware VLAN defaults to 802.1Q",
			config: "vlan: {id: 4094}\n",
			want: &plan.VFPlan{PFName: "eth0", PFPCIAddress: "0000:01:00.0", Index: 3, Settings: plan.VFSettings{
				VLAN: &plan.VLAN{ID: 4094, Protocol: "802.1Q"},
			}},
		},
		{
			name:   "interface.mac alone becomes the administrative MAC too",
			config: "interface: {mac: \"02:00:00:00:aa:02\"}\n",
			want: &plan.VFPlan{PFName: "eth0", PFPCIAddress: "0000:01:00.0", Index: 3, Settings: plan.VFSettings{
				MAC: "02:00:00:00:aa:02",
			}},
		},
		{
			name:   "no VF settings, no VF plan",
			config: "interface: {mtu: 1500}\nsriov: {}\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, igbVF)
			claim := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", igbVF.Name)},
				configs: []resourceapi.DeviceAllocationConfiguration{classConfig(t, cfgHeader+tc.config)}}.build()

			f.mustPrepare(t, claim)

			got := f.checkpointed(t)["uid-a"].Devices[0].VF
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("VF plan in the checkpoint (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrepare_RefusesVFSettingsTheDeviceCannotTake(t *testing.T) {
	noPF := igbVF
	noPF.Name, noPF.PFName = "pci-0000-01-10-7", ""
	for _, tc := range []struct {
		name    string
		device  inventory.Device
		config  string
		wantErr []string
	}{
		{
			name: "sriov settings on a NIC", device: nic1,
			config:  "sriov: {trust: true, linkState: auto}\n",
			wantErr: []string{"device " + nic1.Name, "config sriov.trust, sriov.linkState set", "ens5 (0000:5e:00.0) is a nic, not an SR-IOV VF", "select VFs"},
		},
		{
			name: "sriov settings on a PF", device: pf1,
			config:  "sriov: {maxTxRateMbps: 100}\n",
			wantErr: []string{"device " + pf1.Name, "config sriov.maxTxRateMbps set", "is a pf, not an SR-IOV VF"},
		},
		{
			name: "VF whose PF has no netdev", device: noPF,
			config:  "vlan: {id: 7}\nsriov: {spoofCheck: false}\n",
			wantErr: []string{"device " + noPF.Name, "config sriov.spoofCheck, vlan set", "no PF network interface", "0000:01:00.0"},
		},
		{
			name: "MTU above the PF's", device: igbVF,
			config:  "interface: {mtu: 9001}\n",
			wantErr: []string{"device " + igbVF.Name, "interface.mtu", "9001", "9000"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.device)
			claim := claimSpec{name: "bad", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", tc.device.Name)},
				configs: []resourceapi.DeviceAllocationConfiguration{classConfig(t, cfgHeader+tc.config)}}.build()

			results := f.prepare(t, claim)

			wantErrContaining(t, results[claim.UID].Err, append([]string{"claim telco/bad"}, tc.wantErr...)...)
			if _, ok := f.checkpointed(t)[string(claim.UID)]; ok {
				t.Error("refused claim is in the checkpoint")
			}
		})
	}
}

func TestPrepare_VFMTUUpToThePFs(t *testing.T) {
	f := newFixture(t, igbVF)
	claim := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", igbVF.Name)},
		configs: []resourceapi.DeviceAllocationConfiguration{classConfig(t, cfgHeader+"interface: {mtu: 9000}\n")}}.build()

	f.mustPrepare(t, claim)

	if got := f.checkpointed(t)["uid-a"].Devices[0].Target.MTU; got != 9000 {
		t.Errorf("planned MTU %d, want 9000 (the PF's MTU, above the VF's own 1500)", got)
	}
}
