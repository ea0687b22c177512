package v1alpha1

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnsupportedFields_ListsWhatThisVersionCannotDoYet(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []string
	}{
		{name: "full example", body: trimHeader(mustRead("testdata/full.yaml")), want: []string{"ipam"}},
		{name: "implemented fields only", body: "interface: {name: net1, mtu: 1500, mac: \"02:00:00:00:00:01\", mode: passthrough}\naddresses: [192.0.2.10/24]\nroutes: [{destination: 0.0.0.0/0, gateway: 192.0.2.1}]"},
		{name: "mode omitted", body: `interface: {name: net1}`},
		{name: "macvlan mode", body: `interface: {mode: macvlan}`, want: []string{"interface.mode"}},
		{name: "ipvlan mode", body: `interface: {mode: ipvlan}`, want: []string{"interface.mode"}},
		{name: "vlan mode with vlan, vrf and rules", body: "interface: {mode: vlan}\nvlan: {id: 100}\nvrf: {name: blue, table: 1001}\nrules: [{from: 192.0.2.0/24, table: 1001}]"},
		{name: "empty rules list sets nothing", body: `rules: []`},
		{name: "VF settings without a driver", body: "sriov: {spoofCheck: true, trust: false, minTxRateMbps: 0, maxTxRateMbps: 100, linkState: auto}"},
		{name: "empty sriov block", body: `sriov: {}`},
		{name: "VF driver rebinding", body: `sriov: {driver: vfio-pci}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := decodeBody(t, tc.body)
			if diff := cmp.Diff(tc.want, cfg.UnsupportedFields()); diff != "" {
				t.Errorf("UnsupportedFields (-want +got):\n%s", diff)
			}
			errs := cfg.ValidateImplemented()
			var got []string
			for _, e := range errs {
				got = append(got, e.Field)
				if !strings.Contains(e.Error(), "not implemented yet in this version") {
					t.Errorf("message %q does not say the field is not implemented yet", e.Error())
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ValidateImplemented fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateImplemented_NamesTheImplementedModes(t *testing.T) {
	errs := decodeBody(t, `interface: {mode: macvlan}`).ValidateImplemented()
	if len(errs) != 1 {
		t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
	}
	if want := "only passthrough and vlan are"; !strings.Contains(errs[0].Error(), want) {
		t.Errorf("message %q does not contain %q", errs[0].Error(), want)
	}
}
