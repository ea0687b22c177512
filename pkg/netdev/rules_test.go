package netdev

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

// podRules reads back the policy-routing rules of the namespace behind h,
// both families, as "PRIO: from SRC to DST table N proto P", sorted. The
// kernel's own rules (proto kernel: the default local, main and default
// rules, and the l3mdev rule it adds with the first VRF) are left out.
func podRules(t *testing.T, h *netlink.Handle) []string {
	t.Helper()
	rules, err := netnstest.RetryDump(func() ([]netlink.Rule, error) { return h.RuleList(netlink.FAMILY_ALL) })
	if err != nil {
		t.Fatalf("listing rules: %v", err)
	}
	var out []string
	for _, r := range rules {
		if r.Protocol == unix.RTPROT_KERNEL {
			continue
		}
		from, to := "all", "all"
		if r.Src != nil {
			from = r.Src.String()
		}
		if r.Dst != nil {
			to = r.Dst.String()
		}
		out = append(out, fmt.Sprintf("%d: from %s to %s table %d proto %d", r.Priority, from, to, r.Table, r.Protocol))
	}
	slices.Sort(out)
	return out
}

func requireRules(t *testing.T, h *netlink.Handle, where string, want ...string) {
	t.Helper()
	slices.Sort(want)
	if diff := cmp.Diff(want, podRules(t, h)); diff != "" {
		t.Errorf("rules in %s (-want +got):\n%s", where, diff)
	}
}

func intPtr(v int) *int { return &v }

// rulesSpec is podSpec plus routes in table 100 (IPv4) and 1001 (IPv6, a
// table above 255, which netlink carries in RTA_TABLE) and rules that look
// them up, one without a priority.
func rulesSpec(ref plan.HostLink) plan.Device {
	spec := podSpec(ref, plan.Interface{Name: "net1"})
	spec.Routes = append(spec.Routes, plan.Route{Destination: "2001:db8:3::/64", Gateway: "2001:db8:1::1", Table: 1001})
	spec.Rules = []plan.Rule{
		{Priority: intPtr(100), From: "192.0.2.0/24", Table: 100},
		{Priority: intPtr(200), From: "192.0.2.0/24", To: "203.0.113.0/24", Table: 100},
		{Priority: intPtr(300), To: "2001:db8:3::/64", Table: 1001},
		{From: "198.51.100.0/24", Table: 100},
	}
	return spec
}

// wantRules is what rulesSpec leaves in the pod. The rule without a priority
// gets 99 from the kernel: one below the lowest priority after local's 0 at
// the time it is added.
var wantRules = []string{
	"100: from 192.0.2.0/24 to all table 100 proto 110",
	"200: from 192.0.2.0/24 to 203.0.113.0/24 table 100 proto 110",
	"300: from all to 2001:db8:3::/64 table 1001 proto 110",
	"99: from 198.51.100.0/24 to all table 100 proto 110",
}

func TestAttachDetach_AddsRulesAndTableRoutesAndRemovesRules(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:20:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
	spec := rulesSpec(ref)
	orig, err := tb.host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	nodeRules := podRules(t, tb.Node)

	if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	want := podState("net1", 1500, nic.MAC)
	want.Routes = append(want.Routes, "2001:db8:3::/64 via 2001:db8:1::1 table 1001")
	slices.Sort(want.Routes)
	tb.RequireState(tb.Pod, "net1", want)
	requireRules(t, tb.Pod, "pod netns after attach", wantRules...)

	if err := tb.host.Detach(context.Background(), spec, orig, tb.PodPath); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	requireRules(t, tb.Pod, "pod netns after detach")
	tb.RequireState(tb.Node, nic.Name, netnstest.LinkState{Name: nic.Name, MTU: nic.MTU, MAC: nic.MAC, Up: true})
	requireRules(t, tb.Node, "node netns after detach", nodeRules...)
}

// A repeated hook must not stack copies of a rule, in particular of one
// without a priority, which the kernel would accept again with a new one.
func TestAttach_RepeatedDoesNotDuplicateRules(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:21:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	spec := rulesSpec(plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC})
	for i := range 3 {
		if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
			t.Fatalf("Attach #%d: %v", i+1, err)
		}
		requireRules(t, tb.Pod, fmt.Sprintf("pod netns after attach #%d", i+1), wantRules...)
	}
}

func TestAttach_RulesConvergeAfterCrashAtEachStep(t *testing.T) {
	for _, crashAfter := range []Step{AttachRoutes, AttachRules} {
		t.Run(string(crashAfter), func(t *testing.T) {
			errCrash := errors.New("simulated crash")
			crash := true
			tb := newTestbed(t, WithStepHook(func(step Step) error {
				if crash && step == crashAfter {
					return errCrash
				}
				return nil
			}))
			nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:22:01", MTU: 1500}
			tb.AddVethNIC(nic)
			spec := rulesSpec(plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC})

			if err := tb.host.Attach(context.Background(), spec, tb.PodPath); !errors.Is(err, errCrash) {
				t.Fatalf("Attach with a crash after %s: got %v, want the simulated crash", crashAfter, err)
			}
			crash = false
			if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
				t.Fatalf("Attach after the crash: %v", err)
			}
			requireRules(t, tb.Pod, "pod netns", wantRules...)
		})
	}
}

// A rule that differs from ours in a selector we never set (here: an input
// interface) is the pod's own: Attach adds ours beside it and Detach leaves
// it alone.
func TestAttachDetach_LeavesRulesThatAreNotOurs(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:23:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
	spec := podSpec(ref, plan.Interface{Name: "net1"})
	spec.Rules = []plan.Rule{{Priority: intPtr(100), From: "192.0.2.0/24", Table: 100}}
	foreign := netlink.NewRule()
	foreign.Priority = 100
	foreign.Family = netlink.FAMILY_V4
	foreign.Src = mustCIDR(t, "192.0.2.0/24")
	foreign.Table = 100
	foreign.IifName = "lo"
	if err := tb.Pod.RuleAdd(foreign); err != nil {
		t.Fatalf("adding the pod's own rule: %v", err)
	}
	orig, err := tb.host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}

	if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	both := []string{"100: from 192.0.2.0/24 to all table 100 proto 0", "100: from 192.0.2.0/24 to all table 100 proto 110"}
	requireRules(t, tb.Pod, "pod netns after attach", both...)

	if err := tb.host.Detach(context.Background(), spec, orig, tb.PodPath); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	requireRules(t, tb.Pod, "pod netns after detach", "100: from 192.0.2.0/24 to all table 100 proto 0")
	rules, err := tb.Pod.RuleList(netlink.FAMILY_V4)
	if err != nil {
		t.Fatalf("listing rules: %v", err)
	}
	if i := slices.IndexFunc(rules, func(r netlink.Rule) bool { return r.Priority == 100 }); i < 0 || rules[i].IifName != "lo" {
		t.Errorf("the rule left in the pod is not the pod's own (iif lo): %v", rules)
	}
}

func TestAttach_RefusesBadRulesWithoutTouchingTheDevice(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule plan.Rule
		want string
	}{
		{"no selector", plan.Rule{Table: 100}, "rules[0]: needs from, to or both"},
		{"table 0", plan.Rule{From: "192.0.2.0/24"}, "rules[0]: table 0"},
		{"negative priority", plan.Rule{Priority: intPtr(-1), From: "192.0.2.0/24", Table: 100}, "priority -1 is negative"},
		{"bad from", plan.Rule{From: "192.0.2.0", Table: 100}, `from "192.0.2.0"`},
		{"bad to", plan.Rule{To: "2001:db8::/129", Table: 100}, `to "2001:db8::/129"`},
		{"mixed families", plan.Rule{From: "192.0.2.0/24", To: "2001:db8::/32", Table: 100}, "different address families"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := newTestbed(t)
			nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:24:01", MTU: 1500, Up: true}
			tb.AddVethNIC(nic)
			spec := podSpec(plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}, plan.Interface{Name: "net1"})
			spec.Rules = []plan.Rule{tc.rule}
			before := tb.State(tb.Node, nic.Name)

			err := tb.host.Attach(context.Background(), spec, tb.PodPath)
			netnstest.RequireErrorContains(t, err, "nic0", tc.want)
			tb.RequireState(tb.Node, nic.Name, before)
			tb.RequireLinks(tb.Pod, "pod netns", "lo")
			requireRules(t, tb.Pod, "pod netns")
		})
	}
}

func TestAttach_RefusesBadVLANAndVRFWithoutTouchingTheDevice(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(*plan.Device)
		want   string
	}{
		{"VLAN ID 0", func(s *plan.Device) { s.Mode, s.VLAN = plan.ModeVLAN, &plan.VLAN{ID: 0} }, "VLAN ID 0 is outside 1..4094"},
		{"VLAN ID 4095", func(s *plan.Device) { s.Mode, s.VLAN = plan.ModeVLAN, &plan.VLAN{ID: 4095} }, "VLAN ID 4095"},
		{"VLAN QoS 8", func(s *plan.Device) { s.Mode, s.VLAN = plan.ModeVLAN, &plan.VLAN{ID: 10, QoS: 8} }, "VLAN QoS 8"},
		{"VLAN protocol", func(s *plan.Device) { s.Mode, s.VLAN = plan.ModeVLAN, &plan.VLAN{ID: 10, Protocol: "802.1q"} }, `VLAN protocol "802.1q"`},
		{"VRF without a name", func(s *plan.Device) { s.VRF = &plan.VRF{Table: 1001} }, "VRF name: is empty"},
		{"VRF without a table", func(s *plan.Device) { s.VRF = &plan.VRF{Name: "blue"} }, "VRF blue: table 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := newTestbed(t)
			nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:25:01", MTU: 1500, Up: false}
			tb.AddVethNIC(nic)
			spec := podSpec(plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}, plan.Interface{Name: "net1"})
			tc.modify(&spec)
			before := tb.State(tb.Node, nic.Name)

			err := tb.host.Attach(context.Background(), spec, tb.PodPath)
			netnstest.RequireErrorContains(t, err, "nic0", tc.want)
			tb.RequireState(tb.Node, nic.Name, before)
			tb.RequireLinks(tb.Pod, "pod netns", "lo")
		})
	}
}

func mustCIDR(t *testing.T, s string) *net.IPNet {
	t.Helper()
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatalf("bad CIDR %q: %v", s, err)
	}
	return n
}
