package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const goodClass = `
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: signalling}
spec:
  selectors:
  - cel: {expression: 'device.driver == "netclaim.dev"'}
  config:
  - opaque:
      driver: netclaim.dev
      parameters:
        apiVersion: netclaim.dev/v1alpha1
        kind: NetworkConfig
        interface: {mtu: 1500}
        routes: [{destination: 198.51.100.0/24, gateway: 192.0.2.1}]
  - opaque:
      driver: gpu.example.com
      parameters: {mode: fast}
`

const goodClaim = `
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: sig, namespace: default}
spec:
  devices:
    requests:
    - name: nic
      exactly: {deviceClassName: signalling}
    config:
    - requests: [nic]
      opaque:
        driver: netclaim.dev
        parameters:
          apiVersion: netclaim.dev/v1alpha1
          kind: NetworkConfig
          interface: {name: sig0}
          addresses: ["192.0.2.10/24"]
`

const goodTemplate = `
apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: sig-port}
spec:
  spec:
    devices:
      requests:
      - name: port
        firstAvailable:
        - {name: fast, deviceClassName: signalling}
      config:
      - opaque:
          driver: netclaim.dev
          parameters: {"apiVersion": "netclaim.dev/v1alpha1", "kind": "NetworkConfig", "addresses": ["192.0.2.11/24"]}
`

func runValidate(t *testing.T, input string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := validateFiles(&out, strings.NewReader(input), []string{"-"})
	return out.String(), err
}

func TestValidate_GoodClassAndClaimsPass(t *testing.T) {
	out, err := runValidate(t, goodClass+"---"+goodClaim+"---"+goodTemplate)
	if err != nil {
		t.Fatalf("want success, got %v\noutput:\n%s", err, out)
	}
	want := []string{
		"OK DeviceClass/signalling config[0]",
		`SKIP DeviceClass/signalling config[1]: opaque driver "gpu.example.com" is not netclaim.dev`,
		"OK ResourceClaim/sig config[0] (requests: nic)",
		"OK ResourceClaimTemplate/sig-port config[0] (requests: all)",
		"OK ResourceClaim/sig request nic merged with DeviceClass/signalling",
		"OK ResourceClaimTemplate/sig-port request port/fast merged with DeviceClass/signalling",
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSpace(out), "\n")); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestValidate_InvalidConfigsNameDocumentConfigRequestsAndField(t *testing.T) {
	cases := []struct {
		name  string
		input string
		want  []string // lines the output must contain
	}{
		{
			name: "class with a VLAN ID out of range",
			input: `
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: vlan-net}
spec:
  config:
  - opaque:
      driver: netclaim.dev
      parameters: {apiVersion: netclaim.dev/v1alpha1, kind: NetworkConfig, vlan: {id: 5000}}
`,
			want: []string{"DeviceClass/vlan-net config[0]: vlan.id: Invalid value: 5000: must be between 1 and 4094"},
		},
		{
			name: "claim's second config names eth0",
			input: `
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: bad-claim}
spec:
  devices:
    requests:
    - {name: nic, exactly: {deviceClassName: elsewhere}}
    - {name: other, exactly: {deviceClassName: elsewhere}}
    config:
    - opaque: {driver: netclaim.dev, parameters: {apiVersion: netclaim.dev/v1alpha1, kind: NetworkConfig}}
    - requests: [nic, other]
      opaque:
        driver: netclaim.dev
        parameters: {apiVersion: netclaim.dev/v1alpha1, kind: NetworkConfig, interface: {name: eth0}}
`,
			want: []string{
				"OK ResourceClaim/bad-claim config[0] (requests: all)",
				`ResourceClaim/bad-claim config[1] (requests: nic, other): interface.name: Invalid value: "eth0": is reserved`,
			},
		},
		{
			name: "template with an unknown field in the opaque config",
			input: `
apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: typo}
spec:
  spec:
    devices:
      config:
      - opaque:
          driver: netclaim.dev
          parameters: {apiVersion: netclaim.dev/v1alpha1, kind: NetworkConfig, interface: {nmae: net1}}
`,
			want: []string{`ResourceClaimTemplate/typo config[0] (requests: all): decoding NetworkConfig: unknown field "interface.nmae"`},
		},
		{
			name: "duplicate key in the opaque config",
			input: `
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: dup}
spec:
  config:
  - opaque:
      driver: netclaim.dev
      parameters:
        apiVersion: netclaim.dev/v1alpha1
        kind: NetworkConfig
        interface: {mtu: 1500, mtu: 9000}
`,
			want: []string{`DeviceClass/dup (- document 1): yaml: unmarshal errors: line 12: key "mtu" already set in map`},
		},
		{
			name:  "class routes unreachable from the claim's address: only the merge can tell",
			input: goodClass + "---" + strings.Replace(goodClaim, "192.0.2.10/24", "203.0.113.10/24", 1),
			want: []string{
				"OK DeviceClass/signalling config[0]",
				"OK ResourceClaim/sig config[0] (requests: nic)",
				`ResourceClaim/sig request nic merged with DeviceClass/signalling: routes[0].gateway: Invalid value: "192.0.2.1": gateway not reachable`,
			},
		},
		{
			name: "field this version does not implement",
			input: `
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: pool}
spec:
  config:
  - opaque: {driver: netclaim.dev, parameters: {apiVersion: netclaim.dev/v1alpha1, kind: NetworkConfig, ipam: {pool: signalling}}}
`,
			want: []string{"DeviceClass/pool config[0]: ipam: Forbidden: not implemented yet in this version"},
		},
		{
			name: "template whose config names both requests alike, class not given",
			input: `
apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: pair, namespace: telco}
spec:
  spec:
    devices:
      requests:
      - {name: a, exactly: {deviceClassName: vf}}
      - {name: b, exactly: {deviceClassName: vf}}
      config:
      - opaque: {driver: netclaim.dev, parameters: {apiVersion: netclaim.dev/v1alpha1, kind: NetworkConfig, interface: {name: data0}}}
`,
			want: []string{
				"NOTE ResourceClaimTemplate/pair request a: DeviceClass/vf was not given",
				"OK ResourceClaimTemplate/pair request a without its DeviceClass",
				`ResourceClaimTemplate/pair request b: interface.name: Duplicate value: "data0": claim telco/pair request a already names its interface data0 in this pod`,
			},
		},
		{
			name: "claim asking for vfio-pci and an address, class not given",
			input: `
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: dpdk}
spec:
  devices:
    requests:
    - {name: dpdk, exactly: {deviceClassName: vf}}
    config:
    - opaque: {driver: netclaim.dev, parameters: {apiVersion: netclaim.dev/v1alpha1, kind: NetworkConfig, sriov: {driver: vfio-pci}}}
    - opaque: {driver: netclaim.dev, parameters: {apiVersion: netclaim.dev/v1alpha1, kind: NetworkConfig, addresses: [192.0.2.10/24]}}
`,
			want: []string{
				"OK ResourceClaim/dpdk config[0] (requests: all)",
				"OK ResourceClaim/dpdk config[1] (requests: all)",
				"ResourceClaim/dpdk request dpdk without its DeviceClass: addresses: Forbidden: needs a network interface",
			},
		},
		{
			name:  "bare NetworkConfig",
			input: "apiVersion: netclaim.dev/v1alpha1\nkind: NetworkConfig\ninterface: {mtu: 9000}\naddresses: [\"2001:db8::10/64\", \"2001:db8::10/128\"]\n",
			want:  []string{`NetworkConfig (- document 1): addresses[1]: Duplicate value: "2001:db8::10/128"`},
		},
		{
			name:  "unknown kind",
			input: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\n",
			want:  []string{`- document 1: kind "ConfigMap" (apiVersion "v1") is not one netclaimctl validates`},
		},
		{
			name: "two claims of one pod name the same interface",
			input: podClaimNamed("a", "data0") + "---\n" + podTemplateNamed("b", "data0") +
				"---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\n" +
				"spec:\n  containers: [{name: c, image: x}]\n  resourceClaims:\n  - {name: one, resourceClaimName: a}\n  - {name: two, resourceClaimTemplateName: b}\n",
			want: []string{`Pod/p claim ns/b request r: interface.name: Duplicate value: "data0": claim ns/a request r already names its interface data0 in this pod`},
		},
		{
			name:  "older resource API version",
			input: "apiVersion: resource.k8s.io/v1beta1\nkind: DeviceClass\nmetadata: {name: old}\n",
			want:  []string{`- document 1: DeviceClass has apiVersion "resource.k8s.io/v1beta1": netclaimctl reads resource.k8s.io/v1 only`},
		},
		{
			name:  "malformed second document after a good one",
			input: goodClass + "---\nkind: DeviceClass\nmetadata: {name: [\n",
			want:  []string{"OK DeviceClass/signalling config[0]", "- document 2: yaml:"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runValidate(t, tc.input)
			if err == nil {
				t.Errorf("want an error, got none; output:\n%s", out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			for _, want := range tc.want {
				if !hasLinePrefix(lines, want) {
					t.Errorf("no output line starts with %q; output:\n%s", want, out)
				}
			}
		})
	}
}

func hasLinePrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func TestValidateCommand_ReadsSeveralFilesAndStdin(t *testing.T) {
	dir := t.TempDir()
	classFile := filepath.Join(dir, "classes.yaml")
	if err := os.WriteFile(classFile, []byte(goodClass), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := newValidateCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(strings.NewReader(goodClaim))
	cmd.SetArgs([]string{"-f", classFile, "-f", "-"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("Execute: %v\noutput:\n%s", err, out.String())
	}
	want := "OK ResourceClaim/sig request nic merged with DeviceClass/signalling"
	if !strings.Contains(out.String(), want) {
		t.Errorf("class from a file and claim from stdin were not merged: want %q in\n%s", want, out.String())
	}
}

func TestValidateCommand_RequiresAFile(t *testing.T) {
	cmd := newValidateCommand()
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "-f FILE") {
		t.Errorf("want an error asking for -f FILE, got %v", err)
	}
}

func TestValidate_NoNetclaimConfigsIsNotAnError(t *testing.T) {
	out, err := runValidate(t, "# nothing but a comment\n---\napiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata: {name: plain}\n")
	if err != nil {
		t.Fatalf("want success, got %v", err)
	}
	if diff := cmp.Diff("no netclaim.dev configs found\n", out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestValidate_MissingClassIsNoted(t *testing.T) {
	out, err := runValidate(t, goodClaim)
	if err != nil {
		t.Fatalf("want success, got %v", err)
	}
	want := "NOTE ResourceClaim/sig request nic: DeviceClass/signalling was not given; add it with -f to check the merged config"
	if !strings.Contains(out, want) {
		t.Errorf("want %q in\n%s", want, out)
	}
}

// podClaimNamed is a ResourceClaim in namespace ns with one request r whose interface is
// named; podTemplateNamed the same as a template.
func podClaimNamed(name, ifName string) string {
	return "apiVersion: resource.k8s.io/v1\nkind: ResourceClaim\nmetadata: {name: " + name + ", namespace: ns}\n" + claimSpecNamed("", ifName)
}

func podTemplateNamed(name, ifName string) string {
	return "apiVersion: resource.k8s.io/v1\nkind: ResourceClaimTemplate\nmetadata: {name: " + name + ", namespace: ns}\nspec:\n" + claimSpecNamed("  ", ifName)
}

func claimSpecNamed(indent, ifName string) string {
	lines := []string{
		"spec:",
		"  devices:",
		"    requests: [{name: r, exactly: {deviceClassName: net}}]",
		"    config:",
		"    - opaque:",
		"        driver: netclaim.dev",
		"        parameters: {apiVersion: netclaim.dev/v1alpha1, kind: NetworkConfig, interface: {name: " + ifName + "}}",
	}
	return indent + strings.Join(lines, "\n"+indent) + "\n"
}

func TestValidate_PodWithDistinctOrDefaultNamesPasses(t *testing.T) {
	pod := "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\n" +
		"spec:\n  containers: [{name: c, image: x}]\n  resourceClaims:\n  - {name: one, resourceClaimName: a}\n  - {name: two, resourceClaimTemplateName: b}\n"
	for name, input := range map[string]string{
		"distinct names":              podClaimNamed("a", "data0") + "---\n" + podTemplateNamed("b", "data1") + pod,
		"explicit net1 and a default": podClaimNamed("a", "net1") + "---\n" + strings.Replace(podTemplateNamed("b", "x"), "interface: {name: x}", "interface: {mtu: 1500}", 1) + pod,
	} {
		t.Run(name, func(t *testing.T) {
			out, err := runValidate(t, input)
			if err != nil {
				t.Fatalf("want no error, got %v; output:\n%s", err, out)
			}
		})
	}
}

func TestValidate_PodWhoseClaimIsMissingIsNoted(t *testing.T) {
	input := podClaimNamed("a", "data0") + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\n" +
		"spec:\n  containers: [{name: c, image: x}]\n  resourceClaims:\n  - {name: one, resourceClaimName: a}\n  - {name: two, resourceClaimName: gone}\n"
	out, err := runValidate(t, input)
	if err != nil {
		t.Fatalf("want no error, got %v; output:\n%s", err, out)
	}
	want := "NOTE Pod/p resourceClaims two: ResourceClaim/gone was not given; add it with -f to check the pod's interface names"
	if !hasLinePrefix(strings.Split(strings.TrimSpace(out), "\n"), want) {
		t.Errorf("no line %q; output:\n%s", want, out)
	}
}
