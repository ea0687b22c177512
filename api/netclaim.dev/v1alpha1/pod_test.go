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
				in = append(in, PodInterface{Claim: "ns/c", Request: string(rune('a' + i)), Name: n})
			}
			out := AssignInterfaceNames(in, tc.taken...)
			var got []string
			for i, iface := range out {
				got = append(got, iface.Name)
				if iface.Claim != in[i].Claim || iface.Request != in[i].Request {
					t.Errorf("interface %d moved: %+v became %+v", i, in[i], iface)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			for i, e := range ValidatePodInterfaces(out) {
				if e != nil {
					t.Errorf("assigned name %d clashes: %v", i, e)
				}
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
		name   string
		ifaces []PodInterface
		// want is each interface's error message, "" for none.
		want []string
	}{
		{
			name: "two claims",
			ifaces: []PodInterface{
				{Claim: "ns/a", Request: "data", Name: "data"},
				{Claim: "ns/b", Request: "sig", Name: "data"},
			},
			want: []string{"", `interface.name: Duplicate value: "data": claim ns/a request data already names its interface data in this pod; ` +
				"set a different interface.name in one of the two configs"},
		},
		{
			name: "two devices of one request, a third claim too",
			ifaces: []PodInterface{
				{Claim: "ns/a", Request: "r", Name: "net1"},
				{Claim: "ns/a", Request: "r", Name: "net1"},
				{Claim: "ns/c", Request: "s", Name: "net1"},
			},
			want: []string{"",
				`interface.name: Duplicate value: "net1": claim ns/a request r already names its interface net1 in this pod; set a different interface.name in one of the two configs`,
				`interface.name: Duplicate value: "net1": claim ns/a request r already names its interface net1 in this pod; set a different interface.name in one of the two configs`},
		},
		{
			name: "unique and unnamed interfaces pass",
			ifaces: []PodInterface{
				{Claim: "ns/a", Request: "a", Name: "net1"},
				{Claim: "ns/a", Request: "b", Name: ""},
				{Claim: "ns/b", Request: "c", Name: ""},
				{Claim: "ns/b", Request: "d", Name: "net2"},
			},
			want: []string{"", "", "", ""},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range ValidatePodInterfaces(tc.ifaces) {
				msg := ""
				if e != nil {
					msg = e.Error()
				}
				got = append(got, msg)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateClaimInterfaces_FindsClashesAfterDefaultsAcrossRequests(t *testing.T) {
	named := func(name string) *NetworkConfig {
		return &NetworkConfig{Interface: &InterfaceConfig{Name: &name}}
	}
	vfio := &NetworkConfig{SRIOV: &SRIOVConfig{Driver: DriverVFIOPCI}}
	cases := []struct {
		name     string
		requests []ClaimRequest
		// want lists request: message for each error.
		want []string
	}{
		{
			name:     "one config for all requests names them all alike",
			requests: []ClaimRequest{{Name: "a", Count: 1, Config: named("data0")}, {Name: "b", Count: 1, Config: named("data0")}},
			want:     []string{`b: interface.name: Duplicate value: "data0": claim ns/c request a already names its interface data0 in this pod`},
		},
		{
			name:     "a named request of two devices",
			requests: []ClaimRequest{{Name: "a", Count: 2, Config: named("data0")}},
			want:     []string{`a: interface.name: Duplicate value: "data0": claim ns/c request a already names`},
		},
		{
			name:     "an explicit default name shifts the defaults instead of clashing",
			requests: []ClaimRequest{{Name: "a", Count: 2}, {Name: "b", Count: 1, Config: named("net1")}},
		},
		{
			name:     "vfio-pci requests get no name",
			requests: []ClaimRequest{{Name: "a", Count: 2, Config: vfio}, {Name: "b", Count: 1, Config: named("dpdk")}},
		},
		{
			name: "alternatives of one request never meet, but each meets the other requests",
			requests: []ClaimRequest{
				{Name: "port/fast", Count: 1, Config: named("data0")}, {Name: "port/slow", Count: 1, Config: named("data0")},
				{Name: "ctrl", Count: 1, Config: named("ctrl0")},
				{Name: "other/x", Count: 1, Config: named("ctrl1")}, {Name: "other/y", Count: 1, Config: named("data0")},
			},
			want: []string{`other/y: interface.name: Duplicate value: "data0": claim ns/c request port already names`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := ValidateClaimInterfaces("ns/c", tc.requests)
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d errors, want %d: %v", len(errs), len(tc.want), errs)
			}
			for i, e := range errs {
				if got := e.Request + ": " + e.Err.Error(); !strings.HasPrefix(got, tc.want[i]) {
					t.Errorf("error %d = %q, want it to start with %q", i, got, tc.want[i])
				}
			}
		})
	}
}

func TestValidatePodClaimInterfaces_FindsClashesBetweenClaimsOfOnePod(t *testing.T) {
	named := func(name string) *NetworkConfig {
		return &NetworkConfig{Interface: &InterfaceConfig{Name: &name}}
	}
	claims := []PodClaim{
		{Claim: "ns/a", Requests: []ClaimRequest{{Name: "r", Count: 1, Config: named("data0")}, {Name: "s", Count: 1}}},
		// Request r of claim b has the same name as request r of claim a: two claims, two
		// groups, so no alternative hides it; its unnamed request s gets net2 after a's s.
		{Claim: "ns/b", Requests: []ClaimRequest{{Name: "r", Count: 1, Config: named("data0")}, {Name: "s", Count: 1}}},
	}
	errs := ValidatePodClaimInterfaces(claims)
	if len(errs) != 1 {
		t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
	}
	want := `ns/b r: interface.name: Duplicate value: "data0": claim ns/a request r already names its interface data0 in this pod`
	if got := errs[0].Claim + " " + errs[0].Request + ": " + errs[0].Err.Error(); !strings.HasPrefix(got, want) {
		t.Errorf("error = %q, want it to start with %q", got, want)
	}
	if errs := ValidateClaimInterfaces("ns/b", claims[1].Requests); len(errs) != 0 {
		t.Errorf("claim b alone: want no errors, got %v", errs)
	}
}
