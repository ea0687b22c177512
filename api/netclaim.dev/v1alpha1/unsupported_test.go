package v1alpha1

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
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
			var got []string
			for _, e := range cfg.Validate(ValidationContext{Partial: true}) {
				if !strings.Contains(e.Error(), "not implemented yet") {
					continue
				}
				got = append(got, e.Field)
				if e.Type != field.ErrorTypeForbidden || !strings.Contains(e.Error(), "not implemented yet in this version") {
					t.Errorf("message %q does not forbid the field as not implemented yet in this version", e.Error())
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("fields Validate refuses as not implemented (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidate_NotImplementedModeNamesTheImplementedModes(t *testing.T) {
	errs := decodeBody(t, `interface: {mode: macvlan}`).Validate(ValidationContext{})
	if len(errs) != 1 {
		t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
	}
	want := "interface.mode: Forbidden: not implemented yet in this version: only passthrough and vlan are; " +
		"set one of them in the DeviceClass or ResourceClaim config, or omit the field for passthrough"
	if diff := cmp.Diff(want, errs[0].Error()); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
}
