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
		{name: "full example", body: trimHeader(mustRead("testdata/full.yaml")), want: []string{"vlan", "ipam", "rules", "vrf", "sriov"}},
		{name: "implemented fields only", body: "interface: {name: net1, mtu: 1500, mac: \"02:00:00:00:00:01\", mode: passthrough}\naddresses: [192.0.2.10/24]\nroutes: [{destination: 0.0.0.0/0, gateway: 192.0.2.1}]"},
		{name: "mode omitted", body: `interface: {name: net1}`},
		{name: "macvlan mode", body: `interface: {mode: macvlan}`, want: []string{"interface.mode"}},
		{name: "empty rules list sets nothing", body: `rules: []`},
		{name: "empty sriov block still asks for SR-IOV", body: `sriov: {}`, want: []string{"sriov"}},
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
