//go:build vmtest

package netdev

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

// vrfSpec attaches with the VRF blue (table 1001) and routes inside it: the
// default route and an IPv6 route in the VRF table, one route left in main.
func vrfSpec(ref plan.HostLink, target plan.Interface) plan.Device {
	return plan.Device{
		Host:      ref,
		Target:    target,
		Addresses: []string{"192.0.2.10/24", "2001:db8:1::10/64"},
		Routes: []plan.Route{
			{Destination: "0.0.0.0/0", Gateway: "192.0.2.1", Table: 1001},
			{Destination: "2001:db8:2::/64", Gateway: "2001:db8:1::1", Table: 1001},
			{Destination: "198.51.100.0/24"},
		},
		VRF:   &plan.VRF{Name: "blue", Table: 1001},
		Rules: []plan.Rule{{Priority: intPtr(100), From: "203.0.113.0/24", Table: 1001}},
	}
}

func vrfPodState(name string, mtu int, mac string) netnstest.LinkState {
	return netnstest.LinkState{
		Name: name, MTU: mtu, MAC: mac, Up: true,
		// Both families survive: the device joins the VRF before it gets
		// its addresses (joining cycles an up device, dropping IPv6 ones).
		Addresses: []string{"192.0.2.10/24", "2001:db8:1::10/64"},
		Routes: []string{
			"198.51.100.0/24",
			"2001:db8:2::/64 via 2001:db8:1::1 table 1001",
			"default via 192.0.2.1 table 1001",
		},
	}
}

// vrfState is what the tests read back about the VRF in the pod.
type vrfState struct {
	Table uint32
	Up    bool
	// Slaves are the names of the devices enslaved to it.
	Slaves []string
}

func readVRF(t *testing.T, h *netlink.Handle, name string) vrfState {
	t.Helper()
	link, err := h.LinkByName(name)
	if err != nil {
		t.Fatalf("looking up %s: %v", name, err)
	}
	vrf, ok := link.(*netlink.Vrf)
	if !ok {
		t.Fatalf("%s is a %s, want a vrf", name, link.Type())
	}
	st := vrfState{Table: vrf.Table, Up: vrf.Attrs().Flags&net.FlagUp != 0}
	links, err := netnstest.RetryDump(h.LinkList)
	if err != nil {
		t.Fatalf("listing links: %v", err)
	}
	for _, l := range links {
		if l.Attrs().MasterIndex == vrf.Attrs().Index {
			st.Slaves = append(st.Slaves, l.Attrs().Name)
		}
	}
	return st
}

func requireVRF(t *testing.T, h *netlink.Handle, name string, want vrfState) {
	t.Helper()
	if diff := cmp.Diff(want, readVRF(t, h, name)); diff != "" {
		t.Errorf("VRF %s (-want +got):\n%s", name, diff)
	}
}

func TestVM_VRFAttachDetach_InterfaceJoinsVRFAndLeavesIt(t *testing.T) {
	for _, tc := range []struct {
		name string
		vlan *plan.VLAN
	}{
		{name: "passthrough dummy"},
		{name: "VLAN sub-interface of a dummy", vlan: &plan.VLAN{ID: 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := newVMTestbed(t)
			nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:40:01", MTU: 1500, Up: true}
			addDummyNIC(t, tb, nic)
			ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
			spec := vrfSpec(ref, plan.Interface{Name: "net1", MTU: 1400})
			if tc.vlan != nil {
				spec.Mode, spec.VLAN = plan.ModeVLAN, tc.vlan
			}
			orig, err := tb.host.Snapshot(ref)
			if err != nil {
				t.Fatalf("Snapshot: %v", err)
			}
			nodeLinks := tb.LinkNames(tb.Node)

			if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
				t.Fatalf("Attach: %v", err)
			}
			tb.RequireState(tb.Pod, "net1", vrfPodState("net1", 1400, nic.MAC))
			requireVRF(t, tb.Pod, "blue", vrfState{Table: 1001, Up: true, Slaves: []string{"net1"}})
			requireRules(t, tb.Pod, "pod netns after attach", "100: from 203.0.113.0/24 to all table 1001 proto 110")
			tb.RequireLinks(tb.Pod, "pod netns after attach", "lo", "net1", "blue")

			if err := tb.host.Detach(context.Background(), spec, orig, tb.PodPath); err != nil {
				t.Fatalf("Detach: %v", err)
			}
			tb.RequireLinks(tb.Pod, "pod netns after detach", "lo")
			requireRules(t, tb.Pod, "pod netns after detach")
			tb.RequireLinks(tb.Node, "node netns after detach", nodeLinks...)
			tb.RequireState(tb.Node, nic.Name, netnstest.LinkState{Name: nic.Name, MTU: nic.MTU, MAC: nic.MAC, Up: true})
			if master := linkMaster(t, tb.Node, nic.Name); master != 0 {
				t.Errorf("%s on the host still has master index %d", nic.Name, master)
			}
		})
	}
}

// Two interfaces of a pod in one VRF: the VRF is shared, and goes only with
// the last of them.
func TestVM_VRFDetach_KeepsVRFWhileAnotherInterfaceUsesIt(t *testing.T) {
	tb := newVMTestbed(t)
	var specs []plan.Device
	var origs []plan.Original
	for i, name := range []string{"nic0", "nic1"} {
		nic := netnstest.NIC{Name: name, MAC: "02:00:00:00:41:0" + string(rune('1'+i)), MTU: 1500, Up: true}
		addDummyNIC(t, tb, nic)
		ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
		spec := plan.Device{
			Host: ref, Target: plan.Interface{Name: "net" + string(rune('1'+i))},
			Addresses: []string{"192.0.2." + string(rune('1'+i)) + "/32"},
			VRF:       &plan.VRF{Name: "blue", Table: 1001},
		}
		orig, err := tb.host.Snapshot(ref)
		if err != nil {
			t.Fatalf("Snapshot: %v", err)
		}
		if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
			t.Fatalf("Attach %s: %v", name, err)
		}
		specs, origs = append(specs, spec), append(origs, orig)
	}
	requireVRF(t, tb.Pod, "blue", vrfState{Table: 1001, Up: true, Slaves: []string{"net1", "net2"}})

	if err := tb.host.Detach(context.Background(), specs[0], origs[0], tb.PodPath); err != nil {
		t.Fatalf("Detach nic0: %v", err)
	}
	requireVRF(t, tb.Pod, "blue", vrfState{Table: 1001, Up: true, Slaves: []string{"net2"}})
	if err := tb.host.Detach(context.Background(), specs[1], origs[1], tb.PodPath); err != nil {
		t.Fatalf("Detach nic1: %v", err)
	}
	tb.RequireLinks(tb.Pod, "pod netns after detach", "lo")
}

func TestVM_VRFAttach_ConvergesAfterCrashAtEachStep(t *testing.T) {
	for _, crashAfter := range []Step{AttachMoved, AttachConfigured, AttachVRFJoined, AttachAddresses, AttachUp, AttachRoutes, AttachRules} {
		t.Run(string(crashAfter), func(t *testing.T) {
			errCrash := errors.New("simulated crash")
			crash := true
			tb := newVMTestbed(t, WithStepHook(func(step Step) error {
				if crash && step == crashAfter {
					return errCrash
				}
				return nil
			}))
			nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:42:01", MTU: 1500}
			addDummyNIC(t, tb, nic)
			ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
			spec := vrfSpec(ref, plan.Interface{Name: "net1"})
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
			tb.RequireState(tb.Pod, "net1", vrfPodState("net1", 1500, nic.MAC))
			requireVRF(t, tb.Pod, "blue", vrfState{Table: 1001, Up: true, Slaves: []string{"net1"}})
			requireRules(t, tb.Pod, "pod netns", "100: from 203.0.113.0/24 to all table 1001 proto 110")

			if err := tb.host.Detach(context.Background(), spec, orig, tb.PodPath); err != nil {
				t.Fatalf("Detach: %v", err)
			}
			tb.RequireLinks(tb.Pod, "pod netns after detach", "lo")
			tb.RequireState(tb.Node, nic.Name, netnstest.LinkState{Name: nic.Name, MTU: nic.MTU, MAC: nic.MAC})
		})
	}
}

func TestVM_VRFAttach_RefusesVRFNameHeldByAnotherDevice(t *testing.T) {
	for _, tc := range []struct {
		name   string
		holder func(t *testing.T, h *netlink.Handle)
		want   string
	}{
		{"a bridge", func(t *testing.T, h *netlink.Handle) {
			if err := h.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "blue"}}); err != nil {
				t.Fatalf("adding bridge blue: %v", err)
			}
		}, "blue is already taken"},
		{"a VRF with another table", func(t *testing.T, h *netlink.Handle) {
			if err := h.LinkAdd(&netlink.Vrf{LinkAttrs: netlink.LinkAttrs{Name: "blue"}, Table: 2002}); err != nil {
				t.Fatalf("adding VRF blue: %v", err)
			}
		}, "by a VRF with table 2002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := newVMTestbed(t)
			nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:43:01", MTU: 1500}
			addDummyNIC(t, tb, nic)
			tc.holder(t, tb.Pod)
			spec := vrfSpec(plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}, plan.Interface{Name: "net1"})

			err := tb.host.Attach(context.Background(), spec, tb.PodPath)
			netnstest.RequireErrorContains(t, err, "net1", "VRF blue (table 1001)", tc.want, "choose another VRF name or table")
		})
	}
}

// The kernel fact behind Detach's order: a device enslaved to a VRF can be
// moved to another namespace directly; the kernel releases it on the way
// (the VRF sees it unregister from the old namespace). Detach releases it
// first anyway, so it does not depend on this.
func TestVM_VRFKernel_MovingAnEnslavedDeviceReleasesIt(t *testing.T) {
	tb := newVMTestbed(t)
	addDummyNIC(t, tb, netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:44:01", MTU: 1500, Up: true})
	nic, err := tb.Node.LinkByName("nic0")
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Node.LinkAdd(&netlink.Vrf{LinkAttrs: netlink.LinkAttrs{Name: "blue"}, Table: 1001}); err != nil {
		t.Fatalf("adding VRF: %v", err)
	}
	vrf, err := tb.Node.LinkByName("blue")
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Node.LinkSetMasterByIndex(nic, vrf.Attrs().Index); err != nil {
		t.Fatalf("enslaving: %v", err)
	}
	if err := tb.Node.LinkSetNsFd(nic, int(tb.PodNetns.Ns)); err != nil {
		t.Fatalf("moving the enslaved device: %v", err)
	}
	if master := linkMaster(t, tb.Pod, "nic0"); master != 0 {
		t.Errorf("moved device has master index %d in its new namespace, want none", master)
	}
	requireVRF(t, tb.Node, "blue", vrfState{Table: 1001, Up: false})
}

func linkMaster(t *testing.T, h *netlink.Handle, name string) int {
	t.Helper()
	link, err := h.LinkByName(name)
	if err != nil {
		t.Fatalf("looking up %s: %v", name, err)
	}
	return link.Attrs().MasterIndex
}
