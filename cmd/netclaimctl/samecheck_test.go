package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2/ktesting"
	"sigs.k8s.io/yaml"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/driver"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/version"
)

// This file runs every config-only rule through both paths that apply it: `netclaimctl
// validate` on a DeviceClass and a ResourceClaim, and the driver's prepare of the same
// claim once allocated, on a node whose devices satisfy every device-dependent check. Both
// must accept or refuse alike, with the same messages: each message is compared after the
// path's own context (file and object, or claim and device) is cut off.

const (
	sameNode  = "node-a"
	sameClass = "net"
)

// Devices of the node: a NIC and VFs whose PF can take VF settings. MTUs are high, so
// that no parent MTU check (which needs the device) fires.
var sameDevices = map[string]inventory.Device{
	"nic": {Name: "nic", Kind: inventory.KindNIC, IfName: "ens5", PCIAddress: "0000:5e:00.0", Driver: "ixgbe", MAC: "02:00:00:00:05:00", MTU: 9000},
	"vf1": {Name: "vf1", Kind: inventory.KindVF, IfName: "ens1f0v1", PCIAddress: "0000:3b:02.1", Driver: "iavf",
		PFName: "ens1f0", PFPCIAddress: "0000:3b:00.0", PFMTU: 9000, VFIndex: intPtr(1), MAC: "02:00:00:00:02:01", MTU: 9000},
	"vf2": {Name: "vf2", Kind: inventory.KindVF, IfName: "ens1f0v2", PCIAddress: "0000:3b:02.2", Driver: "iavf",
		PFName: "ens1f0", PFPCIAddress: "0000:3b:00.0", PFMTU: 9000, VFIndex: intPtr(2), MAC: "02:00:00:00:02:02", MTU: 9000},
}

func intPtr(v int) *int { return &v }

// sameLayer is one claim config: the requests it names (none: all) and its body.
type sameLayer struct {
	requests []string
	body     string
}

// sameRequest is one request of the claim and the devices the scheduler gives it.
type sameRequest struct {
	name    string
	devices []string
}

type sameCase struct {
	name     string
	class    string // body of the DeviceClass's NetworkConfig; "" for none
	claim    []sameLayer
	requests []sameRequest
	// want is text every message must contain; "" means both paths accept.
	want string
}

var sameCases = []sameCase{
	// Accepted.
	{name: "class routes meet claim addresses", class: "interface: {mtu: 1500}\nroutes: [{destination: 198.51.100.0/24, gateway: 192.0.2.1}]",
		claim:    []sameLayer{{body: "interface: {name: sig0}\naddresses: [192.0.2.10/24]"}},
		requests: []sameRequest{{"sig", []string{"vf1"}}}},
	{name: "explicit net1 shifts the default of the other request", claim: []sameLayer{{requests: []string{"b"}, body: "interface: {name: net1}"}},
		requests: []sameRequest{{"a", []string{"vf1"}}, {"b", []string{"vf2"}}}},
	{name: "mode vlan with its VLAN on a NIC", class: "interface: {mode: vlan}\nvlan: {id: 4094, qos: 7, protocol: 802.1ad}",
		requests: []sameRequest{{"v", []string{"nic"}}}},
	{name: "VF settings and hardware VLAN on a VF", class: "vlan: {id: 1}\nsriov: {spoofCheck: true, trust: false, maxTxRateMbps: 100, linkState: auto}",
		requests: []sameRequest{{"v", []string{"vf1"}}}},

	// Decoding.
	{name: "unknown field", claim: []sameLayer{{body: "interface: {nmae: data0}"}}, requests: []sameRequest{{"a", []string{"vf1"}}},
		want: `decoding NetworkConfig: unknown field "interface.nmae"`},
	{name: "number too large for its field", class: "interface: {mtu: 99999999999}", requests: []sameRequest{{"a", []string{"vf1"}}},
		want: "decoding NetworkConfig"},

	// Not implemented yet.
	{name: "ipam", class: "ipam: {pool: signalling}", requests: []sameRequest{{"a", []string{"vf1"}}}, want: "ipam: Forbidden: not implemented yet"},
	{name: "macvlan mode", claim: []sameLayer{{body: "interface: {mode: macvlan}"}}, requests: []sameRequest{{"a", []string{"nic"}}},
		want: "interface.mode: Forbidden: not implemented yet in this version: only passthrough and vlan are"},
	{name: "ipvlan mode", class: "interface: {mode: ipvlan}", requests: []sameRequest{{"a", []string{"nic"}}}, want: "not implemented yet"},

	// vfio-pci: no netdev to configure.
	{name: "vfio-pci with addresses", class: "sriov: {driver: vfio-pci}", claim: []sameLayer{{body: "addresses: [192.0.2.10/24]"}},
		requests: []sameRequest{{"dpdk", []string{"vf1"}}}, want: "needs a network interface"},
	{name: "vfio-pci with routes, rules, vrf and interface fields", claim: []sameLayer{{body: "sriov: {driver: vfio-pci}\ninterface: {name: dpdk0, mtu: 1500, mode: vlan}\n" +
		"vlan: {id: 10}\nroutes: [{destination: 198.51.100.0/24}]\nrules: [{to: 198.51.100.0/24, table: 10}]\nvrf: {name: red, table: 10}"}},
		requests: []sameRequest{{"dpdk", []string{"vf1"}}}, want: "vfio-pci"},

	// VLAN.
	{name: "vlan id 0", class: "interface: {mode: vlan}\nvlan: {id: 0}", requests: []sameRequest{{"v", []string{"nic"}}}, want: "vlan.id: Invalid value: 0"},
	{name: "vlan id 4095", claim: []sameLayer{{body: "vlan: {id: 4095}"}}, requests: []sameRequest{{"v", []string{"vf1"}}}, want: "vlan.id: Invalid value: 4095"},
	{name: "vlan qos 8 and unknown protocol", class: "vlan: {id: 5, qos: 8, protocol: 802.1x}", requests: []sameRequest{{"v", []string{"vf1"}}}, want: "vlan."},
	{name: "mode vlan without vlan", class: "interface: {mode: vlan}", requests: []sameRequest{{"v", []string{"nic"}}},
		want: "vlan.id: Required value: interface.mode vlan creates an 802.1Q sub-interface"},

	// Interface names.
	{name: "one claim config names every request alike", claim: []sameLayer{{body: "interface: {name: data0}"}},
		requests: []sameRequest{{"a", []string{"vf1"}}, {"b", []string{"vf2"}}}, want: `interface.name: Duplicate value: "data0": claim telco/c request a already names`},
	{name: "named request of two devices", claim: []sameLayer{{requests: []string{"a"}, body: "interface: {name: data0}"}},
		requests: []sameRequest{{"a", []string{"vf1", "vf2"}}}, want: `interface.name: Duplicate value: "data0"`},
	{name: "eth0", claim: []sameLayer{{body: "interface: {name: eth0}"}}, requests: []sameRequest{{"a", []string{"vf1"}}}, want: `interface.name: Invalid value: "eth0": is reserved`},
	{name: "lo", class: "interface: {name: lo}", requests: []sameRequest{{"a", []string{"vf1"}}}, want: `interface.name: Invalid value: "lo": is reserved`},
	{name: "vrf named as the interface", class: "vrf: {name: blue, table: 1001}", claim: []sameLayer{{body: "interface: {name: blue}"}},
		requests: []sameRequest{{"a", []string{"vf1"}}}, want: `vrf.name: Invalid value: "blue": must differ from interface.name`},

	// Addresses and routes.
	{name: "bad CIDR", claim: []sameLayer{{body: "addresses: [192.0.2.10]"}}, requests: []sameRequest{{"a", []string{"vf1"}}}, want: `addresses[0]: Invalid value: "192.0.2.10"`},
	{name: "route destination with host bits", class: "routes: [{destination: 198.51.100.5/24}]", requests: []sameRequest{{"a", []string{"vf1"}}},
		want: "has host bits set"},
	{name: "gateway unreachable from the claim's address", class: "routes: [{destination: 0.0.0.0/0, gateway: 192.0.2.1}]",
		claim: []sameLayer{{body: "addresses: [203.0.113.10/24]"}}, requests: []sameRequest{{"a", []string{"vf1"}}}, want: "gateway not reachable"},
	{name: "MTU below 1280 with IPv6", class: "interface: {mtu: 1200}", claim: []sameLayer{{body: "addresses: [\"2001:db8::10/64\"]"}},
		requests: []sameRequest{{"a", []string{"vf1"}}}, want: "interface.mtu: Invalid value: 1200: must be at least 1280"},
	{name: "local route table", claim: []sameLayer{{body: "routes: [{destination: 198.51.100.0/24, table: 255}]"}}, requests: []sameRequest{{"a", []string{"vf1"}}},
		want: "is the kernel's local table"},
	{name: "rule without table", class: "rules: [{from: 192.0.2.0/24}]", requests: []sameRequest{{"a", []string{"vf1"}}}, want: "rules[0].table: Required value"},
	{name: "multicast MAC", claim: []sameLayer{{body: "interface: {mac: \"01:00:5e:00:00:01\"}"}}, requests: []sameRequest{{"a", []string{"vf1"}}}, want: "must be a unicast address"},
	{name: "sriov min rate above max", class: "sriov: {minTxRateMbps: 200, maxTxRateMbps: 100}", requests: []sameRequest{{"a", []string{"vf1"}}},
		want: "must not exceed maxTxRateMbps 100"},
}

func TestValidateAndPrepare_AcceptAndRefuseAlikeWithTheSameMessages(t *testing.T) {
	for _, tc := range sameCases {
		t.Run(tc.name, func(t *testing.T) {
			offline := offlineMessages(t, tc, true)
			prepared := prepareMessages(t, tc)
			if diff := cmp.Diff(offline, prepared); diff != "" {
				t.Errorf("messages (-netclaimctl validate +prepare):\n%s", diff)
			}
			// A claim whose class brings no config is judged the same without the class.
			if tc.class == "" {
				if diff := cmp.Diff(offlineMessages(t, tc, false), prepared); diff != "" {
					t.Errorf("messages without the DeviceClass (-netclaimctl validate +prepare):\n%s", diff)
				}
			}
			if tc.want == "" {
				return
			}
			if len(offline) == 0 {
				t.Fatalf("both paths accept; want a refusal mentioning %q", tc.want)
			}
			for _, msg := range offline {
				if !strings.Contains(msg, tc.want) {
					t.Errorf("message %q does not mention %q", msg, tc.want)
				}
			}
		})
	}
}

// offlineLine is a problem line of `netclaimctl validate`: the object, then which config
// or request, then the message.
var offlineLine = regexp.MustCompile(`^(?:DeviceClass|ResourceClaim)/\S+ (?:config\[\d+\](?: \(requests: [^)]*\))?|request \S+(?: merged with DeviceClass/\S+| without its DeviceClass)?): (.*)$`)

// offlineMessages runs netclaimctl validate on the case's ResourceClaim, with its
// DeviceClass or without, and returns its messages without their context, sorted and
// without repeats.
func offlineMessages(t *testing.T, tc sameCase, withClass bool) []string {
	t.Helper()
	claim := sameClaim(t, tc)
	claim.Status = resourceapi.ResourceClaimStatus{} // as written by a user
	claimYAML, err := yaml.Marshal(claim)
	if err != nil {
		t.Fatal(err)
	}
	classYAML, err := yaml.Marshal(sameDeviceClass(t, tc))
	if err != nil {
		t.Fatal(err)
	}
	input := string(claimYAML)
	if withClass {
		input = string(classYAML) + "---\n" + input
	}
	var out bytes.Buffer
	runErr := validateFiles(&out, strings.NewReader(input), []string{"-"})
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line == "" || strings.HasPrefix(line, "OK ") || strings.HasPrefix(line, "SKIP ") || strings.HasPrefix(line, "NOTE ") || line == "no netclaim.dev configs found" {
			continue
		}
		m := offlineLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("netclaimctl validate printed an unexpected line %q", line)
		}
		msgs = append(msgs, m[1])
	}
	if (runErr != nil) != (len(msgs) > 0) {
		t.Errorf("netclaimctl validate returned %v with messages %q", runErr, msgs)
	}
	return sortedUnique(msgs)
}

// prepareLine is one line of a prepare error: the claim and device come first on the
// first line of each device's errors; each config error starts with "config ". A config
// that does not decode is named by its place in the allocation instead.
var prepareLine = regexp.MustCompile(`^(?:preparing claim \S+ on node \S+: )?(?:(?:device \S+ \(request [^)]*\): )?config |status\.allocation\.devices\.config\[\d+\] \(\w+\) opaque\.parameters: )(.*)$`)

// prepareMessages prepares the allocated claim with the real driver and returns its
// messages without their context, sorted and without repeats.
func prepareMessages(t *testing.T, tc sameCase) []string {
	t.Helper()
	dir := t.TempDir()
	store, err := checkpoint.Open(filepath.Join(dir, "checkpoint.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := driver.New(driver.Config{
		DriverName: version.DriverName, NodeName: sameNode, Checkpoint: store, CDIDir: filepath.Join(dir, "cdi"),
		Devices: func(name string) (inventory.Device, bool) { dev, ok := sameDevices[name]; return dev, ok },
	})
	if err != nil {
		t.Fatal(err)
	}
	claim := sameClaim(t, tc)
	_, ctx := ktesting.NewTestContext(t)
	results, err := d.PrepareResourceClaims(ctx, []*resourceapi.ResourceClaim{claim})
	if err != nil {
		t.Fatal(err)
	}
	prepErr := results[claim.UID].Err
	if prepErr == nil {
		if len(store.List()) != 1 {
			t.Errorf("prepare accepted the claim but did not record it")
		}
		return nil
	}
	if len(store.List()) != 0 {
		t.Errorf("prepare refused the claim but recorded it")
	}
	var msgs []string
	for _, line := range strings.Split(prepErr.Error(), "\n") {
		m := prepareLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("prepare refused the claim with a line that is no config error: %q", line)
		}
		msgs = append(msgs, m[1])
	}
	return sortedUnique(msgs)
}

func sortedUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func networkConfig(t *testing.T, body string) runtime.RawExtension {
	t.Helper()
	raw, err := yaml.YAMLToJSON([]byte("apiVersion: netclaim.dev/v1alpha1\nkind: NetworkConfig\n" + body))
	if err != nil {
		t.Fatalf("test config is not YAML: %v", err)
	}
	return runtime.RawExtension{Raw: raw}
}

func sameDeviceClass(t *testing.T, tc sameCase) *resourceapi.DeviceClass {
	dc := &resourceapi.DeviceClass{
		TypeMeta:   metav1.TypeMeta{APIVersion: "resource.k8s.io/v1", Kind: "DeviceClass"},
		ObjectMeta: metav1.ObjectMeta{Name: sameClass},
	}
	if tc.class != "" {
		dc.Spec.Config = []resourceapi.DeviceClassConfiguration{{DeviceConfiguration: resourceapi.DeviceConfiguration{
			Opaque: &resourceapi.OpaqueDeviceConfiguration{Driver: version.DriverName, Parameters: networkConfig(t, tc.class)},
		}}}
	}
	return dc
}

// sameClaim is the case's ResourceClaim as the kubelet hands it to the driver: allocated
// on this node with the class's config first, and reserved for one pod.
func sameClaim(t *testing.T, tc sameCase) *resourceapi.ResourceClaim {
	claim := &resourceapi.ResourceClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "resource.k8s.io/v1", Kind: "ResourceClaim"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "telco", Name: "c", UID: "uid-c"},
	}
	alloc := &resourceapi.AllocationResult{}
	if tc.class != "" {
		alloc.Devices.Config = append(alloc.Devices.Config, resourceapi.DeviceAllocationConfiguration{
			Source:              resourceapi.AllocationConfigSourceClass,
			DeviceConfiguration: sameDeviceClass(t, tc).Spec.Config[0].DeviceConfiguration,
		})
	}
	for _, r := range tc.requests {
		claim.Spec.Devices.Requests = append(claim.Spec.Devices.Requests, resourceapi.DeviceRequest{Name: r.name,
			Exactly: &resourceapi.ExactDeviceRequest{DeviceClassName: sameClass, AllocationMode: resourceapi.DeviceAllocationModeExactCount, Count: int64(len(r.devices))}})
		for _, dev := range r.devices {
			alloc.Devices.Results = append(alloc.Devices.Results, resourceapi.DeviceRequestAllocationResult{
				Request: r.name, Driver: version.DriverName, Pool: sameNode, Device: dev})
		}
	}
	for _, l := range tc.claim {
		cfg := resourceapi.DeviceConfiguration{Opaque: &resourceapi.OpaqueDeviceConfiguration{Driver: version.DriverName, Parameters: networkConfig(t, l.body)}}
		claim.Spec.Devices.Config = append(claim.Spec.Devices.Config, resourceapi.DeviceClaimConfiguration{Requests: l.requests, DeviceConfiguration: cfg})
		alloc.Devices.Config = append(alloc.Devices.Config, resourceapi.DeviceAllocationConfiguration{
			Source: resourceapi.AllocationConfigSourceClaim, Requests: l.requests, DeviceConfiguration: cfg})
	}
	claim.Status.Allocation = alloc
	claim.Status.ReservedFor = []resourceapi.ResourceClaimConsumerReference{{Resource: "pods", Name: "p", UID: "uid-p"}}
	return claim
}
