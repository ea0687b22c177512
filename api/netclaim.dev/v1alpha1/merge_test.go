package v1alpha1

import (
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
)

func TestMerge_ClassThenClaim(t *testing.T) {
	class := decodeBody(t, `
interface: {mtu: 9000, mode: passthrough, mac: "02:00:00:00:00:01"}
vlan: {id: 100, qos: 3}
addresses: [192.0.2.10/24, 192.0.2.11/24]
ipam: {pool: signalling}
routes: [{destination: 0.0.0.0/0, gateway: 192.0.2.1}]
rules: [{from: 192.0.2.0/24, table: 100}]
vrf: {name: blue, table: 1001}
sriov: {trust: true, maxTxRateMbps: 1000}
`)
	cases := []struct {
		name  string
		claim string
		want  func(*NetworkConfig)
	}{
		{
			name:  "claim sets nothing: class kept",
			claim: "",
			want:  func(*NetworkConfig) {},
		},
		{
			name:  "interface subfields merge one by one",
			claim: `interface: {name: data0}`,
			want:  func(w *NetworkConfig) { w.Interface.Name = ptr.To("data0") },
		},
		{
			name:  "claim overrides a set interface subfield and keeps the others",
			claim: `interface: {mtu: 1500, mac: "02:00:00:00:00:02"}`,
			want: func(w *NetworkConfig) {
				w.Interface.MTU = ptr.To[int32](1500)
				w.Interface.MAC = "02:00:00:00:00:02"
			},
		},
		{
			name:  "vlan replaced as a whole: class qos does not survive",
			claim: `vlan: {id: 200}`,
			want:  func(w *NetworkConfig) { w.VLAN = &VLANConfig{ID: ptr.To[int32](200)} },
		},
		{
			name:  "addresses replaced, never mixed",
			claim: `addresses: ["2001:db8::10/64"]`,
			want:  func(w *NetworkConfig) { w.Addresses = []string{"2001:db8::10/64"} },
		},
		{
			name:  "empty list clears the class's",
			claim: `routes: []`,
			want:  func(w *NetworkConfig) { w.Routes = []RouteConfig{} },
		},
		{
			name:  "every other field replaced",
			claim: "ipam: {pool: other}\nrules: [{to: 198.51.100.0/24, table: 7}]\nvrf: {name: red, table: 7}\nsriov: {spoofCheck: false}",
			want: func(w *NetworkConfig) {
				w.IPAM = &IPAMConfig{Pool: "other"}
				w.Rules = []RuleConfig{{To: "198.51.100.0/24", Table: ptr.To[int32](7)}}
				w.VRF = &VRFConfig{Name: "red", Table: ptr.To[int32](7)}
				w.SRIOV = &SRIOVConfig{SpoofCheck: ptr.To(false)}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			claim := decodeBody(t, tc.claim)
			want := class.DeepCopy()
			tc.want(want)
			got := Merge(class, nil, claim)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("merged (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMerge_NothingGivesAnEmptyTypedConfig(t *testing.T) {
	want := &NetworkConfig{}
	want.APIVersion, want.Kind = APIVersion, KindNetworkConfig
	if diff := cmp.Diff(want, Merge()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, Merge(nil, nil)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMerge_ResultSharesNothingWithInputs(t *testing.T) {
	class := decodeBody(t, trimHeader(mustRead("testdata/full.yaml")))
	claim := decodeBody(t, `interface: {name: data0}`)
	merged := Merge(class, claim)
	assertNoSharedMemory(t, reflect.ValueOf(merged), reflect.ValueOf(class), "class")
	assertNoSharedMemory(t, reflect.ValueOf(merged), reflect.ValueOf(claim), "claim")

	before := merged.DeepCopy()
	*class.Interface.MTU = 1
	*claim.Interface.Name = "changed"
	class.Addresses[0] = "changed"
	*class.Routes[0].Table = 1
	*class.VLAN.ID = 1
	if diff := cmp.Diff(before, merged); diff != "" {
		t.Errorf("editing the inputs changed the merged config (-before +after):\n%s", diff)
	}
}

func TestDeepCopy_SharesNoPointerOrSlice(t *testing.T) {
	orig := decodeBody(t, trimHeader(mustRead("testdata/full.yaml")))
	cp := orig.DeepCopy()
	if diff := cmp.Diff(orig, cp); diff != "" {
		t.Fatalf("copy differs (-orig +copy):\n%s", diff)
	}
	assertNoSharedMemory(t, reflect.ValueOf(cp), reflect.ValueOf(orig), "original")
}

// assertNoSharedMemory walks got and orig in step (they have the same type) and fails if
// any non-nil pointer or slice of got points where orig's does. It uses reflection so a
// field added later is covered without touching this test.
func assertNoSharedMemory(t *testing.T, got, orig reflect.Value, origName string) {
	t.Helper()
	var walk func(g, o reflect.Value, path string)
	walk = func(g, o reflect.Value, path string) {
		switch g.Kind() {
		case reflect.Pointer:
			if g.IsNil() || o.IsNil() {
				return
			}
			if g.Pointer() == o.Pointer() {
				t.Errorf("%s shares its pointer with the %s", path, origName)
			}
			walk(g.Elem(), o.Elem(), path)
		case reflect.Slice:
			if g.Len() == 0 || o.Len() == 0 {
				return
			}
			if g.Pointer() == o.Pointer() {
				t.Errorf("%s shares its slice with the %s", path, origName)
			}
			for i := 0; i < min(g.Len(), o.Len()); i++ {
				walk(g.Index(i), o.Index(i), path+"[]")
			}
		case reflect.Struct:
			for i := 0; i < g.NumField(); i++ {
				walk(g.Field(i), o.Field(i), path+"."+g.Type().Field(i).Name)
			}
		}
	}
	walk(got, orig, "config")
}

func trimHeader(s string) string {
	return s[len(header):]
}
