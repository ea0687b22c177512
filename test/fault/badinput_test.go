package fault

import (
	"fmt"
	"testing"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/klog/v2/ktesting"

	"github.com/netclaim/netclaim/test/netnstest"
)

func netConfig(body string) string {
	return `{"apiVersion":"netclaim.dev/v1alpha1","kind":"NetworkConfig"` + body + `}`
}

// TestPrepare_BadInputNamesObjectAndFieldAndLeavesHostUntouched feeds prepare what users
// and schedulers can get wrong. Each must fail naming the claim and the field (or device)
// to fix, and leave the node's devices (read back over netlink), the CDI folder and the
// checkpoint exactly as they were.
func TestPrepare_BadInputNamesObjectAndFieldAndLeavesHostUntouched(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	n := newNode(t)
	n.addNIC(nic{Name: "ens1f0", MAC: "02:bb:00:00:00:01", MTU: 1500})
	n.addNIC(nic{Name: "ens1f1", MAC: "02:bb:00:00:00:02", MTU: 9000})
	p := n.plugin()
	before := n.hostState()

	one := func(config string) []deviceConfig { return []deviceConfig{{Device: "ens1f0", Config: config}} }
	tests := []struct {
		name    string
		devices []deviceConfig
		edit    func(*resourceapi.ResourceClaim)
		want    []string
	}{
		{name: "malformed JSON", devices: one(`{"apiVersion":"netclaim.dev/v1alpha1",`),
			want: []string{"status.allocation.devices.config[0]", "opaque.parameters"}},
		{name: "malformed YAML", devices: one("apiVersion: netclaim.dev/v1alpha1\nkind: [NetworkConfig\n"),
			want: []string{"status.allocation.devices.config[0]", "opaque.parameters"}},
		{name: "wrong kind", devices: one(`{"apiVersion":"netclaim.dev/v1alpha1","kind":"Pod"}`),
			want: []string{"config[0]", "kind", `"Pod"`}},
		{name: "wrong apiVersion", devices: one(`{"apiVersion":"netclaim.dev/v9","kind":"NetworkConfig"}`),
			want: []string{"config[0]", "apiVersion", "netclaim.dev/v9"}},
		{name: "unknown field", devices: one(netConfig(`,"interface":{"nmae":"net1"}`)),
			want: []string{"config[0]", "nmae"}},
		{name: "unknown top-level field", devices: one(netConfig(`,"adresses":["192.0.2.1/24"]`)),
			want: []string{"config[0]", "adresses"}},
		{name: "overflowing MTU", devices: one(netConfig(`,"interface":{"mtu":99999999999999999999}`)),
			want: []string{"config[0]", "mtu"}},
		{name: "MTU above int32", devices: one(netConfig(`,"interface":{"mtu":4294967296}`)),
			want: []string{"config[0]", "mtu"}},
		{name: "overflowing route table", devices: one(netConfig(`,"addresses":["192.0.2.10/24"],"routes":[{"destination":"0.0.0.0/0","gateway":"192.0.2.1","table":18446744073709551616}]`)),
			want: []string{"config[0]", "table"}},
		{name: "name with slash", devices: one(netConfig(`,"interface":{"name":"net/1"}`)),
			want: []string{"ens1f0", "interface.name", "net/1"}},
		{name: "name with newline", devices: one(netConfig(`,"interface":{"name":"net\n1"}`)),
			want: []string{"ens1f0", "interface.name"}},
		{name: "name of 16 bytes", devices: one(netConfig(`,"interface":{"name":"abcdefghijklmnop"}`)),
			want: []string{"ens1f0", "interface.name", "abcdefghijklmnop"}},
		{name: "IPv4-mapped IPv6 address", devices: one(netConfig(`,"addresses":["::ffff:192.0.2.1/120"]`)),
			want: []string{"ens1f0", "addresses[0]", "::ffff:192.0.2.1/120"}},
		{name: "duplicate addresses", devices: one(netConfig(`,"addresses":["192.0.2.1/24","192.0.2.1/24"]`)),
			want: []string{"ens1f0", "addresses[1]", "192.0.2.1"}},
		{name: "MTU above the device's", devices: one(netConfig(`,"interface":{"mtu":9000}`)),
			want: []string{"ens1f0", "interface.mtu", "1500"}},
		{name: "claim shared by two pods", devices: one(""),
			edit: func(c *resourceapi.ResourceClaim) {
				c.Status.ReservedFor = append(c.Status.ReservedFor, resourceapi.ResourceClaimConsumerReference{Resource: "pods", Name: "other", UID: "pod-uid-2"})
			},
			want: []string{"status.reservedFor", "2 consumers"}},
		{name: "device gone between allocation and prepare", devices: []deviceConfig{{Device: "ens9f9"}},
			want: []string{"ens9f9", "no longer present"}},
		{name: "one bad device fails the whole claim", devices: []deviceConfig{
			{Device: "ens1f1", Config: netConfig(`,"interface":{"name":"good0"}`)},
			{Device: "ens1f0", Config: netConfig(`,"interface":{"name":"bad/0"}`)},
		}, want: []string{"ens1f0", "interface.name", "bad/0"}},
		{name: "two devices given the same name", devices: []deviceConfig{
			{Device: "ens1f1", Config: netConfig(`,"interface":{"name":"same"}`)},
			{Device: "ens1f0", Config: netConfig(`,"interface":{"name":"same"}`)},
		}, want: []string{"same", "ens1f0", "ens1f1"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claim := claimFor("bad", fmt.Sprintf("bad-claim-uid-%d", i), "pod-uid-1", tt.devices...)
			if tt.edit != nil {
				tt.edit(claim)
			}
			err := p.prepare(ctx, []*resourceapi.ResourceClaim{claim})
			netnstest.RequireErrorContains(t, err, append([]string{"telco/bad"}, tt.want...)...)
			// Prepare and unprepare leave an empty checkpoint file behind: compare the
			// devices, the CDI folder and the checkpoint's content.
			n.requireClean(tt.name, before)
		})
	}
}

// Some bad inputs only show when the sandbox exists: prepare accepts them, RunPodSandbox
// refuses them naming the pod or the device, and the node's devices stay put.
func TestRunPodSandbox_BadInputNamesPodOrDeviceAndLeavesDevicesUntouched(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	n := newNode(t)
	n.addNIC(nic{Name: "ens1f0", MAC: "02:bb:00:00:01:01", MTU: 1500})
	n.addNIC(nic{Name: "ens1f1", MAC: "02:bb:00:00:01:02", MTU: 1500})
	pod := n.firstPod()
	before := n.hostState()

	tests := []struct {
		name    string
		setUp   func()
		devices []deviceConfig
		sandbox sandboxRef
		want    []string
	}{
		{name: "hostNetwork pod", devices: []deviceConfig{{Device: "ens1f0"}},
			sandbox: sandboxRef{ID: "sb-1", PodUID: "pod-uid-1"},
			want:    []string{"telco/pod-pod-uid-1", "hostNetwork"}},
		{name: "interface name taken in the pod by another plugin's device",
			setUp:   func() { n.AddBridge(pod.handle, "net5") },
			devices: []deviceConfig{{Device: "ens1f1"}, {Device: "ens1f0", Config: netConfig(`,"interface":{"name":"net5"}`)}},
			sandbox: sandboxRef{ID: "sb-1", PodUID: "pod-uid-1", Netns: pod.path},
			want:    []string{"telco/c", "ens1f0", "net5", "already taken"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setUp != nil {
				tt.setUp()
			}
			podBefore := n.LinkNames(pod.handle)
			p := n.plugin()
			claim := claimFor("c", "claim-uid-1", "pod-uid-1", tt.devices...)
			if err := p.prepare(ctx, []*resourceapi.ResourceClaim{claim}); err != nil {
				t.Fatalf("prepare: %v", err)
			}
			err := p.nri.RunPodSandbox(ctx, tt.sandbox.pod())
			netnstest.RequireErrorContains(t, err, tt.want...)
			n.RequireLinks(pod.handle, "pod netns", podBefore...)
			if err := p.unprepare(ctx, refsOf([]*resourceapi.ResourceClaim{claim})); err != nil {
				t.Fatalf("unprepare: %v", err)
			}
			// Prepare and unprepare leave an empty checkpoint file behind: compare the
			// devices, the CDI folder and the checkpoint's content.
			n.requireClean(tt.name, before)
		})
	}
}
