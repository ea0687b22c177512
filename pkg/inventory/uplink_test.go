package inventory

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultRouteInterfaces_ReadsBothFamiliesAndIgnoresNonDefaults(t *testing.T) {
	const header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	const zero = "00000000000000000000000000000000"
	tests := []struct {
		name   string
		route  string // "" = file absent
		route6 string
		want   map[string]bool
	}{
		{
			name:  "IPv4 default route",
			route: header + "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" + "eth1\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n",
			want:  map[string]bool{"eth0": true},
		},
		{
			name:   "IPv6-only default route; the unreachable default on lo is not one",
			route:  header,
			route6: zero + " 00 " + zero + " 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth2\n" + zero + " 00 " + zero + " 00 " + zero + " ffffffff 00000001 00000000 00200200       lo\n",
			want:   map[string]bool{"eth2": true},
		},
		{
			name:  "a default route that is not up (no RTF_UP) is ignored",
			route: header + "eth0\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n",
			want:  map[string]bool{},
		},
		{
			name:   "a rejecting IPv6 default on a real interface is ignored",
			route6: zero + " 00 " + zero + " 00 " + zero + " 00000400 00000001 00000000 00000201     eth3\n",
			want:   map[string]bool{},
		},
		{
			name:   "ECMP: two uplinks",
			route:  header + "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" + "eth1\t00000000\t010300C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
			route6: zero + " 00 " + zero + " 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth1\n",
			want:   map[string]bool{"eth0": true, "eth1": true},
		},
		{
			name: "no route files (captured host without proc): no uplink, no error",
			want: map[string]bool{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeIfSet(t, filepath.Join(root, "proc/net/route"), tt.route)
			writeIfSet(t, filepath.Join(root, "proc/net/ipv6_route"), tt.route6)
			got, err := defaultRouteInterfaces(root)
			if err != nil {
				t.Fatalf("defaultRouteInterfaces: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("uplinks differ (-want +got):\n%s", diff)
			}
		})
	}
}

func writeIfSet(t *testing.T, path, content string) {
	t.Helper()
	if content == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestHostBoundInterfaces_FollowsEverythingBelowTheUplink(t *testing.T) {
	lowers := map[string][]string{
		"br-ex":  {"bond0", "veth-c"}, // a bond and a plain port
		"bond0":  {"eno1", "eno2"},
		"eno2.7": {"eno2"}, // stacked on a bound NIC, not below the uplink
		"mv0":    {"ens3"}, // unrelated
	}
	lowersOf := func(name string) ([]string, error) { return lowers[name], nil }
	got, err := hostBoundInterfaces(map[string]bool{"br-ex": true}, lowersOf)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"br-ex": true, "bond0": true, "eno1": true, "eno2": true, "veth-c": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("host-bound interfaces differ (-want +got):\n%s", diff)
	}
}
