package v1alpha1

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultInterfaceName_CountsFromNet1(t *testing.T) {
	got := []string{DefaultInterfaceName(1), DefaultInterfaceName(2), DefaultInterfaceName(10)}
	if diff := cmp.Diff([]string{"net1", "net2", "net10"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestAssignInterfaceNames_FillsInRequestOrderSkippingExplicitNames(t *testing.T) {
	cases := []struct {
		name  string
		names []string // Name of each interface in request order; "" = default
		taken []string
		want  []string
	}{
		{name: "all default", names: []string{"", "", ""}, want: []string{"net1", "net2", "net3"}},
		{name: "explicit later name is skipped", names: []string{"", "net1", ""}, want: []string{"net2", "net1", "net3"}},
		{name: "explicit non-default names do not shift defaults", names: []string{"data", "", "ctrl", ""}, want: []string{"data", "net1", "ctrl", "net2"}},
		{name: "taken names such as a VRF are skipped", names: []string{"", ""}, taken: []string{"net1"}, want: []string{"net2", "net3"}},
		{name: "nothing to assign", names: []string{"a", "b"}, want: []string{"a", "b"}},
		{name: "empty pod", names: nil, want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var in []PodInterface
			for i, n := range tc.names {
				in = append(in, PodInterface{Claim: "ns/c", Device: string(rune('a' + i)), Name: n})
			}
			out := AssignInterfaceNames(in, tc.taken...)
			var got []string
			for i, iface := range out {
				got = append(got, iface.Name)
				if iface.Claim != in[i].Claim || iface.Device != in[i].Device {
					t.Errorf("interface %d moved: %+v became %+v", i, in[i], iface)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			if errs := ValidatePodInterfaces(out); len(errs) != 0 {
				t.Errorf("assigned names clash: %v", errs)
			}
			for i, n := range tc.names {
				if in[i].Name != n {
					t.Errorf("input %d was modified: %q", i, in[i].Name)
				}
			}
		})
	}
}

func TestValidatePodInterfaces_RejectsDuplicateNamesNamingBothOwners(t *testing.T) {
	cases := []struct {
		name      string
		ifaces    []PodInterface
		wantField []string
		wantText  []string
	}{
		{
			name: "two claims",
			ifaces: []PodInterface{
				{Claim: "ns/a", Device: "node1/pci-0000-3b-02-1", Name: "data"},
				{Claim: "ns/b", Device: "node1/pci-0000-3b-02-2", Name: "data"},
			},
			wantField: []string{"claims[ns/b].devices[node1/pci-0000-3b-02-2].interface.name"},
			wantText:  []string{`"data"`, "claim ns/a device node1/pci-0000-3b-02-1"},
		},
		{
			name: "two devices of one claim, third one too",
			ifaces: []PodInterface{
				{Claim: "ns/a", Device: "d1", Name: "net1"},
				{Claim: "ns/a", Device: "d2", Name: "net1"},
				{Claim: "ns/c", Device: "d3", Name: "net1"},
			},
			wantField: []string{"claims[ns/a].devices[d2].interface.name", "claims[ns/c].devices[d3].interface.name"},
			wantText:  []string{"claim ns/a device d1"},
		},
		{
			name: "unique and unnamed interfaces pass",
			ifaces: []PodInterface{
				{Claim: "ns/a", Device: "d1", Name: "net1"},
				{Claim: "ns/a", Device: "d2", Name: ""},
				{Claim: "ns/b", Device: "d3", Name: ""},
				{Claim: "ns/b", Device: "d4", Name: "net2"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := ValidatePodInterfaces(tc.ifaces)
			var got []string
			for _, e := range errs {
				got = append(got, e.Field)
				for _, text := range tc.wantText {
					if !strings.Contains(e.Error(), text) {
						t.Errorf("message %q does not contain %q", e.Error(), text)
					}
				}
			}
			if diff := cmp.Diff(tc.wantField, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}
