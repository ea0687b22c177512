package v1alpha1

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
)

// decodeCase is one input for Decode. Exactly one of wantErr (a piece of the decode
// error) and wantInvalid (the path Validate must reject after a clean decode) is set, or
// neither for input that must decode and validate.
type decodeCase struct {
	name        string
	input       string
	wantErr     string
	wantInvalid string
}

var decodeCases = []decodeCase{
	{name: "YAML", input: header + "interface: {name: net1, mtu: 9000}\n"},
	{name: "JSON", input: `{"apiVersion":"netclaim.dev/v1alpha1","kind":"NetworkConfig","interface":{"name":"net1","mtu":9000}}`},
	{name: "unquoted MAC", input: header + "interface: {mac: 02:00:00:00:00:01}\n"},

	{name: "malformed YAML", input: header + "interface: {name: net1\n", wantErr: "yaml"},
	{name: "malformed JSON", input: `{"apiVersion":"netclaim.dev/v1alpha1",`, wantErr: "unexpected end of JSON input"},
	{name: "JSON with trailing garbage", input: `{"apiVersion":"netclaim.dev/v1alpha1","kind":"NetworkConfig"} x`, wantErr: "invalid character"},
	{name: "JSON string with raw DEL byte", input: "{\"apiVersion\":\"netclaim.dev/v1alpha1\",\"kind\":\"NetworkConfig\",\"interface\":{\"name\":\"net\x7f\"}}", wantInvalid: "interface.name"},
	{name: "tab indentation", input: header + "interface:\n\tname: net1\n", wantErr: "yaml"},
	{name: "empty document", input: "", wantErr: "empty"},
	{name: "comment only", input: "# nothing\n", wantErr: "empty"},
	{name: "top level list", input: "- a\n- b\n", wantErr: "cannot unmarshal array"},
	{name: "apiVersion missing", input: "kind: NetworkConfig\n", wantErr: `apiVersion: unsupported value ""`},
	{name: "apiVersion wrong version", input: "apiVersion: netclaim.dev/v1\nkind: NetworkConfig\n", wantErr: `apiVersion: unsupported value "netclaim.dev/v1"`},
	{name: "apiVersion wrong group", input: "apiVersion: resource.k8s.io/v1\nkind: NetworkConfig\n", wantErr: `apiVersion: unsupported value "resource.k8s.io/v1"`},
	{name: "kind missing", input: "apiVersion: netclaim.dev/v1alpha1\n", wantErr: `kind: unsupported value ""`},
	{name: "kind wrong", input: "apiVersion: netclaim.dev/v1alpha1\nkind: NetworkConf\n", wantErr: `kind: unsupported value "NetworkConf"`},
	{name: "kind wrong case", input: "apiVersion: netclaim.dev/v1alpha1\nkind: networkconfig\n", wantErr: `kind: unsupported value "networkconfig"`},
	{name: "unknown top-level field", input: header + "vlans: {id: 1}\n", wantErr: `unknown field "vlans"`},
	{name: "unknown nested field", input: header + "interface: {nmae: net1}\n", wantErr: `unknown field "interface.nmae"`},
	{name: "unknown field in a list item", input: header + "routes: [{destination: 0.0.0.0/0, via: 192.0.2.1}]\n", wantErr: `unknown field "routes[0].via"`},
	{name: "field in wrong case", input: header + "interface: {MTU: 9000}\n", wantErr: `unknown field "interface.MTU"`},
	{name: "metadata is not a field", input: header + "metadata: {name: x}\n", wantErr: `unknown field "metadata"`},
	{name: "duplicate key", input: header + "interface: {mtu: 1500, mtu: 9000}\n", wantErr: `key "mtu" already set`},
	{name: "duplicate top-level key", input: header + "vlan: {id: 1}\nvlan: {id: 2}\n", wantErr: `key "vlan" already set`},
	{name: "duplicate key in JSON", input: `{"apiVersion":"netclaim.dev/v1alpha1","kind":"NetworkConfig","kind":"NetworkConfig"}`, wantErr: `duplicate field "kind"`},
	{name: "duplicate keys differing in case", input: header + "interface: {mtu: 1500, MTU: 9000}\n", wantErr: `unknown field "interface.MTU"`},
	{name: "mtu overflows int32", input: header + "interface: {mtu: 99999999999}\n", wantErr: "int32"},
	{name: "mtu overflows negatively", input: header + "interface: {mtu: -99999999999}\n", wantErr: "int32"},
	{name: "table overflows int32", input: header + "routes: [{destination: 0.0.0.0/0, table: 4294967295}]\n", wantErr: "int32"},
	{name: "mtu fraction", input: header + "interface: {mtu: 1500.5}\n", wantErr: "int32"},
	{name: "mtu as string", input: header + "interface: {mtu: \"9000\"}\n", wantErr: "string"},
	{name: "name YAML 1.1 boolean", input: header + "interface: {name: on}\n", wantErr: "bool"},
	{name: "name number", input: header + "interface: {name: 1234}\n", wantErr: "number"},
	{name: "addresses not a list", input: header + "addresses: 192.0.2.10/24\n", wantErr: "string"},

	{name: "name with slash", input: header + "interface: {name: net/1}\n", wantInvalid: "interface.name"},
	{name: "name with newline", input: header + "interface: {name: \"net\\n1\"}\n", wantInvalid: "interface.name"},
	{name: "name of 16 bytes", input: header + "interface: {name: net1234567890123}\n", wantInvalid: "interface.name"},
	{name: "name with NUL", input: header + "interface: {name: \"net\\x001\"}\n", wantInvalid: "interface.name"},
	{name: "IPv4-mapped IPv6 address", input: header + "addresses: [\"::ffff:192.0.2.10/120\"]\n", wantInvalid: "addresses[0]"},
	{name: "IPv4-mapped IPv6 gateway", input: header + "routes: [{destination: \"::/0\", gateway: \"::ffff:192.0.2.1\"}]\n", wantInvalid: "routes[0].gateway"},
}

func TestDecode_StrictAndThenValid(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Decode([]byte(tc.input))
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("want an error containing %q, got %+v", tc.wantErr, cfg)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			errs := cfg.Validate(ValidationContext{})
			var got []string
			for _, e := range errs {
				got = append(got, e.Field)
			}
			var want []string
			if tc.wantInvalid != "" {
				want = []string{tc.wantInvalid}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("invalid fields (-want +got):\n%s\n%v", diff, errs)
			}
		})
	}
}

func TestDecode_FullExampleFillsEveryField(t *testing.T) {
	cfg, err := Decode([]byte(mustRead("testdata/full.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	want := &NetworkConfig{
		Interface: &InterfaceConfig{Name: ptr.To("net1"), MTU: ptr.To[int32](9000), MAC: "02:00:00:00:00:01", Mode: ModePassthrough},
		VLAN:      &VLANConfig{ID: ptr.To[int32](100), QoS: ptr.To[int32](0), Protocol: VLANProtocol8021Q},
		Addresses: []string{"192.0.2.10/24", "2001:db8::10/64"},
		IPAM:      &IPAMConfig{Pool: "signalling"},
		Routes:    []RouteConfig{{Destination: "0.0.0.0/0", Gateway: "192.0.2.1", Table: ptr.To[int32](100)}},
		Rules:     []RuleConfig{{Priority: ptr.To[int32](100), From: "192.0.2.0/24", Table: ptr.To[int32](100)}},
		VRF:       &VRFConfig{Name: "blue", Table: ptr.To[int32](1001)},
		SRIOV: &SRIOVConfig{SpoofCheck: ptr.To(true), Trust: ptr.To(false), MinTxRateMbps: ptr.To[int32](0),
			MaxTxRateMbps: ptr.To[int32](1000), LinkState: LinkStateAuto, Driver: "vfio-pci"},
	}
	want.APIVersion, want.Kind = APIVersion, KindNetworkConfig
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
}
