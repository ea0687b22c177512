//go:build vmtest

package netdev

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
	"github.com/netclaim/netclaim/test/vmtest"
)

// newVMTestbed is newTestbed inside the VM, with the modules the VLAN and
// VRF tests need. The "node" namespace holds dummy devices standing in for
// NICs: unlike veth, a dummy is a device of its own, the way a NIC is.
func newVMTestbed(t *testing.T, opts ...Option) *testbed {
	t.Helper()
	vmtest.InVM(t)
	for _, m := range []string{"dummy", "8021q", "vrf"} {
		vmtest.RequireModule(t, m)
	}
	return newTestbed(t, opts...)
}

// addDummyNIC adds a dummy device to the node namespace.
func addDummyNIC(t *testing.T, tb *testbed, nic netnstest.NIC) {
	t.Helper()
	attrs := netlink.NewLinkAttrs()
	attrs.Name = nic.Name
	attrs.MTU = nic.MTU
	attrs.HardwareAddr = netnstest.MustMAC(t, nic.MAC)
	if err := tb.Node.LinkAdd(&netlink.Dummy{LinkAttrs: attrs}); err != nil {
		t.Fatalf("adding dummy %s: %v", nic.Name, err)
	}
	tb.SetAdminState(tb.Node, nic.Name, nic.Up)
}

// vlanState is what the tests read back about a VLAN sub-interface.
type vlanState struct {
	ID          int
	Protocol    string
	ParentIndex int
	EgressQoS   map[uint32]uint32
}

func readVLAN(t *testing.T, h *netlink.Handle, name string) vlanState {
	t.Helper()
	link, err := h.LinkByName(name)
	if err != nil {
		t.Fatalf("looking up %s: %v", name, err)
	}
	vl, ok := link.(*netlink.Vlan)
	if !ok {
		t.Fatalf("%s is a %s, want a vlan", name, link.Type())
	}
	return vlanState{ID: vl.VlanId, Protocol: vl.VlanProtocol.String(), ParentIndex: vl.ParentIndex, EgressQoS: vl.EgressQosMap}
}

func linkIndex(t *testing.T, h *netlink.Handle, name string) int {
	t.Helper()
	link, err := h.LinkByName(name)
	if err != nil {
		t.Fatalf("looking up %s: %v", name, err)
	}
	return link.Attrs().Index
}

func qosMap(prio uint32) map[uint32]uint32 {
	m := map[uint32]uint32{}
	for i := range uint32(8) {
		m[i] = prio
	}
	return m
}

func TestVM_VLANAttachDetach_CreatesSubInterfaceInPodAndRestoresParent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		parent  netnstest.NIC
		target  plan.Interface
		vlan    plan.VLAN
		wantMTU int
		wantMAC string
		want    vlanState
	}{
		{
			name:    "802.1Q on a down parent inherits MTU and MAC",
			parent:  netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:30:01", MTU: 1500, Up: false},
			target:  plan.Interface{Name: "net1"},
			vlan:    plan.VLAN{ID: 100},
			wantMTU: 1500, wantMAC: "02:00:00:00:30:01",
			want: vlanState{ID: 100, Protocol: "802.1q"},
		},
		{
			name:    "802.1ad with QoS, MTU and MAC on an up parent",
			parent:  netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:30:02", MTU: 9000, Up: true},
			target:  plan.Interface{Name: "net1", MTU: 1400, HardwareAddr: "02:aa:00:00:30:02"},
			vlan:    plan.VLAN{ID: 4094, QoS: 5, Protocol: "802.1ad"},
			wantMTU: 1400, wantMAC: "02:aa:00:00:30:02",
			want: vlanState{ID: 4094, Protocol: "802.1ad", EgressQoS: qosMap(5)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := newVMTestbed(t)
			addDummyNIC(t, tb, tc.parent)
			nodeLinks := tb.LinkNames(tb.Node)
			ref := plan.HostLink{Name: tc.parent.Name, HardwareAddr: tc.parent.MAC}
			spec := podSpec(ref, tc.target)
			spec.Mode, spec.VLAN = plan.ModeVLAN, &tc.vlan
			orig, err := tb.host.Snapshot(ref)
			if err != nil {
				t.Fatalf("Snapshot: %v", err)
			}
			hostBefore := netnstest.LinkState{Name: tc.parent.Name, MTU: tc.parent.MTU, MAC: tc.parent.MAC, Up: tc.parent.Up}

			if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
				t.Fatalf("Attach: %v", err)
			}
			tb.RequireState(tb.Pod, "net1", podState("net1", tc.wantMTU, tc.wantMAC))
			tb.RequireLinks(tb.Pod, "pod netns after attach", "lo", "net1")
			want := tc.want
			want.ParentIndex = linkIndex(t, tb.Node, tc.parent.Name)
			if diff := cmp.Diff(want, readVLAN(t, tb.Pod, "net1"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("VLAN in the pod (-want +got):\n%s", diff)
			}
			// The parent stays on the host, up: a VLAN cannot be up on a
			// down parent.
			hostUp := hostBefore
			hostUp.Up = true
			tb.RequireState(tb.Node, tc.parent.Name, hostUp)
			tb.RequireLinks(tb.Node, "node netns after attach", nodeLinks...)

			if err := tb.host.Detach(context.Background(), spec, orig, tb.PodPath); err != nil {
				t.Fatalf("Detach: %v", err)
			}
			tb.RequireLinks(tb.Pod, "pod netns after detach", "lo")
			tb.RequireLinks(tb.Node, "node netns after detach", nodeLinks...)
			tb.RequireState(tb.Node, tc.parent.Name, hostBefore)
		})
	}
}

func TestVM_VLANAttach_ConvergesAfterCrashAtEachStep(t *testing.T) {
	steps := []Step{AttachParentUp, AttachVLANCreated, AttachConfigured, AttachVRFJoined, AttachAddresses, AttachUp, AttachRoutes, AttachRules}
	for _, crashAfter := range steps {
		t.Run(string(crashAfter), func(t *testing.T) {
			errCrash := errors.New("simulated crash")
			crash := true
			tb := newVMTestbed(t, WithStepHook(func(step Step) error {
				if crash && step == crashAfter {
					return errCrash
				}
				return nil
			}))
			parent := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:31:01", MTU: 1500}
			addDummyNIC(t, tb, parent)
			ref := plan.HostLink{Name: parent.Name, HardwareAddr: parent.MAC}
			spec := rulesSpec(ref)
			spec.Target = plan.Interface{Name: "net1", MTU: 1400, HardwareAddr: "02:aa:00:00:31:01"}
			spec.Mode, spec.VLAN = plan.ModeVLAN, &plan.VLAN{ID: 200}
			orig, err := tb.host.Snapshot(ref)
			if err != nil {
				t.Fatalf("Snapshot: %v", err)
			}

			if err := tb.host.Attach(context.Background(), spec, tb.PodPath); !errors.Is(err, errCrash) {
				t.Fatalf("Attach with a crash after %s: got %v, want the simulated crash", crashAfter, err)
			}
			crash = false
			if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
				t.Fatalf("Attach after the crash: %v", err)
			}
			want := podState("net1", 1400, "02:aa:00:00:31:01")
			want.Routes = append(want.Routes, "2001:db8:3::/64 via 2001:db8:1::1 table 1001")
			tb.RequireState(tb.Pod, "net1", sortedRoutes(want))
			tb.RequireLinks(tb.Pod, "pod netns", "lo", "net1")
			requireRules(t, tb.Pod, "pod netns", wantRules...)

			if err := tb.host.Detach(context.Background(), spec, orig, tb.PodPath); err != nil {
				t.Fatalf("Detach: %v", err)
			}
			tb.RequireLinks(tb.Pod, "pod netns after detach", "lo")
			requireRules(t, tb.Pod, "pod netns after detach")
			tb.RequireState(tb.Node, parent.Name, netnstest.LinkState{Name: parent.Name, MTU: parent.MTU, MAC: parent.MAC})
		})
	}
}

func TestVM_VLANDetach_RepeatedAndAfterPodNetnsDeletedRestoresParent(t *testing.T) {
	for _, deletePod := range []bool{false, true} {
		t.Run(fmt.Sprintf("pod netns deleted=%v", deletePod), func(t *testing.T) {
			tb := newVMTestbed(t)
			parent := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:32:01", MTU: 1500}
			addDummyNIC(t, tb, parent)
			ref := plan.HostLink{Name: parent.Name, HardwareAddr: parent.MAC}
			spec := podSpec(ref, plan.Interface{Name: "net1"})
			spec.Mode, spec.VLAN = plan.ModeVLAN, &plan.VLAN{ID: 300}
			orig, err := tb.host.Snapshot(ref)
			if err != nil {
				t.Fatalf("Snapshot: %v", err)
			}
			if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
				t.Fatalf("Attach: %v", err)
			}
			nodeLinks := tb.LinkNames(tb.Node)
			if deletePod {
				tb.DeletePod()
			}

			for i := range 2 {
				if err := tb.host.Detach(context.Background(), spec, orig, tb.PodPath); err != nil {
					t.Fatalf("Detach #%d: %v", i+1, err)
				}
				tb.RequireState(tb.Node, parent.Name, netnstest.LinkState{Name: parent.Name, MTU: parent.MTU, MAC: parent.MAC})
				tb.RequireLinks(tb.Node, "node netns", nodeLinks...)
				if !deletePod {
					tb.RequireLinks(tb.Pod, "pod netns", "lo")
				}
			}
		})
	}
}

func TestVM_VLANAttach_RefusesNameTakenInPodAndLeavesParentAlone(t *testing.T) {
	tb := newVMTestbed(t)
	parent := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:33:01", MTU: 1500}
	addDummyNIC(t, tb, parent)
	tb.AddBridge(tb.Pod, "net1")
	spec := podSpec(plan.HostLink{Name: parent.Name, HardwareAddr: parent.MAC}, plan.Interface{Name: "net1"})
	spec.Mode, spec.VLAN = plan.ModeVLAN, &plan.VLAN{ID: 100}
	before := tb.State(tb.Node, parent.Name)

	err := tb.host.Attach(context.Background(), spec, tb.PodPath)
	netnstest.RequireErrorContains(t, err, "VLAN 100", "nic0", "net1 is already taken", "bridge", "choose another interface name")
	tb.RequireState(tb.Node, parent.Name, before)
	tb.RequireLinks(tb.Pod, "pod netns", "lo", "net1")
}

// Detach must not delete a device that took the VLAN's name in the pod but is
// not the VLAN (another VLAN ID here), and says so.
func TestVM_VLANDetach_LeavesAnotherDeviceUnderTheTargetName(t *testing.T) {
	tb := newVMTestbed(t)
	parent := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:34:01", MTU: 1500}
	addDummyNIC(t, tb, parent)
	ref := plan.HostLink{Name: parent.Name, HardwareAddr: parent.MAC}
	other := podSpec(ref, plan.Interface{Name: "net1"})
	other.Mode, other.VLAN = plan.ModeVLAN, &plan.VLAN{ID: 101}
	orig, err := tb.host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if err := tb.host.Attach(context.Background(), other, tb.PodPath); err != nil {
		t.Fatalf("Attach of VLAN 101: %v", err)
	}
	spec := other
	spec.Mode, spec.VLAN = plan.ModeVLAN, &plan.VLAN{ID: 100}

	err = tb.host.Detach(context.Background(), spec, orig, tb.PodPath)
	netnstest.RequireErrorContains(t, err, "VLAN 100", "net1", "not this VLAN")
	if got := readVLAN(t, tb.Pod, "net1").ID; got != 101 {
		t.Errorf("net1 in the pod has VLAN ID %d, want the untouched 101", got)
	}
}

func sortedRoutes(s netnstest.LinkState) netnstest.LinkState {
	routes := append([]string(nil), s.Routes...)
	slices.Sort(routes)
	s.Routes = routes
	return s
}

// A VLAN on a real NIC driver: the VM's igb PF, in the VM's initial namespace
// (the host as the plugin sees it). igb filters VLANs in hardware, so
// creating the sub-interface programs the PF's VLAN filter through the
// driver, which no virtual parent exercises. igb is down after boot: attach
// must raise it and detach set it down again.
func TestVM_VLANOnIGBPF_CreatedInPodAndParentRestored(t *testing.T) {
	pf := vmtest.IGB(t)
	netnstest.RequireHostLinksUnchanged(t)
	host, err := OpenHost()
	if err != nil {
		t.Fatalf("OpenHost: %v", err)
	}
	t.Cleanup(func() {
		if err := host.Close(); err != nil {
			t.Errorf("closing host: %v", err)
		}
	})
	podPath, pod := netnstest.NewPodNetns(t)
	ref := plan.HostLink{Name: pf.IfName, PCIAddress: pf.PCIAddress}
	orig, err := host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if orig.Up {
		t.Fatalf("igb PF %s is up before the test; the test needs it down to see it raised and restored", pf.IfName)
	}
	pfLink, err := netlink.LinkByName(pf.IfName)
	if err != nil {
		t.Fatalf("looking up PF %s: %v", pf.IfName, err)
	}
	spec := podSpec(ref, plan.Interface{Name: "net1", MTU: 1400})
	spec.Mode, spec.VLAN = plan.ModeVLAN, &plan.VLAN{ID: 42, QoS: 3}

	if err := host.Attach(context.Background(), spec, podPath); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	link, err := pod.LinkByName("net1")
	if err != nil {
		t.Fatalf("looking up net1 in the pod: %v", err)
	}
	if diff := cmp.Diff(vlanState{ID: 42, Protocol: "802.1q", ParentIndex: pfLink.Attrs().Index, EgressQoS: qosMap(3)},
		readVLAN(t, pod, "net1")); diff != "" {
		t.Errorf("VLAN in the pod (-want +got):\n%s", diff)
	}
	if got := link.Attrs(); got.MTU != 1400 || got.HardwareAddr.String() != orig.HardwareAddr {
		t.Errorf("net1: MTU %d MAC %s, want 1400 and the PF's %s", got.MTU, got.HardwareAddr, orig.HardwareAddr)
	}
	if now, err := host.Snapshot(ref); err != nil || !now.Up {
		t.Errorf("PF after attach: %+v (err %v), want up", now, err)
	}

	if err := host.Detach(context.Background(), spec, orig, podPath); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	if now, err := host.Snapshot(ref); err != nil || now != orig {
		t.Errorf("PF after detach: %+v (err %v), want %+v", now, err, orig)
	}
	names, err := netnstest.RetryDump(pod.LinkList)
	if err != nil {
		t.Fatalf("listing pod links: %v", err)
	}
	if len(names) != 1 {
		t.Errorf("pod netns after detach has %d links, want only lo", len(names))
	}
}
