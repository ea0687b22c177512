package netdev

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

// podSpec is the full configuration the tests attach: v4 and v6 addresses,
// an on-link route, a default route via a gateway and a route in table 100.
func podSpec(ref plan.HostLink, target plan.Interface) plan.Device {
	return plan.Device{
		Host:      ref,
		Target:    target,
		Addresses: []string{"192.0.2.10/24", "2001:db8:1::10/64"},
		Routes: []plan.Route{
			{Destination: "198.51.100.0/24"},
			{Gateway: "192.0.2.1"},
			{Destination: "203.0.113.0/24", Gateway: "192.0.2.1", Table: 100},
			{Destination: "2001:db8:2::/64", Gateway: "2001:db8:1::1"},
		},
	}
}

// podState is the state podSpec must produce, given the expected name, MTU
// and MAC.
func podState(name string, mtu int, mac string) netnstest.LinkState {
	return netnstest.LinkState{
		Name: name, MTU: mtu, MAC: mac, Up: true,
		Addresses: []string{"192.0.2.10/24", "2001:db8:1::10/64"},
		Routes: []string{
			"198.51.100.0/24",
			"2001:db8:2::/64 via 2001:db8:1::1",
			"203.0.113.0/24 via 192.0.2.1 table 100",
			"default via 192.0.2.1",
		},
	}
}

func TestAttachDetach_ConfiguresPodAndRestoresHostExactly(t *testing.T) {
	for _, tc := range []struct {
		name    string
		macvlan bool
		nic     netnstest.NIC
		target  plan.Interface
		// wantMTU and wantMAC are what the device has in the pod.
		wantMTU int
		wantMAC string
	}{
		{
			name:    "up veth renamed with new MTU and MAC",
			nic:     netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:00:01", MTU: 1500, Up: true},
			target:  plan.Interface{Name: "net1", MTU: 9000, HardwareAddr: "02:aa:00:00:00:01"},
			wantMTU: 9000, wantMAC: "02:aa:00:00:00:01",
		},
		{
			name:    "down veth keeps MTU and MAC",
			nic:     netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:00:02", MTU: 1400, Up: false},
			target:  plan.Interface{Name: "net1"},
			wantMTU: 1400, wantMAC: "02:00:00:00:00:02",
		},
		{
			name:    "veth keeps its host name in the pod",
			nic:     netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:00:03", MTU: 1500, Up: true},
			target:  plan.Interface{Name: "nic0", MTU: 1450},
			wantMTU: 1450, wantMAC: "02:00:00:00:00:03",
		},
		{
			name:    "up macvlan on a veth parent",
			macvlan: true,
			nic:     netnstest.NIC{Name: "mv0", MAC: "02:00:00:00:00:04", MTU: 1500, Up: true},
			target:  plan.Interface{Name: "net1", MTU: 1400, HardwareAddr: "02:aa:00:00:00:04"},
			wantMTU: 1400, wantMAC: "02:aa:00:00:00:04",
		},
		{
			name:    "down macvlan on a veth parent",
			macvlan: true,
			nic:     netnstest.NIC{Name: "mv0", MAC: "02:00:00:00:00:05", MTU: 1500, Up: false},
			target:  plan.Interface{Name: "net1"},
			wantMTU: 1500, wantMAC: "02:00:00:00:00:05",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := newTestbed(t)
			if tc.macvlan {
				tb.AddMacvlanNIC(tc.nic)
			} else {
				tb.AddVethNIC(tc.nic)
			}
			nodeLinks := tb.LinkNames(tb.Node)
			ref := plan.HostLink{Name: tc.nic.Name, HardwareAddr: tc.nic.MAC}
			spec := podSpec(ref, tc.target)
			orig, err := tb.host.Snapshot(ref)
			if err != nil {
				t.Fatalf("Snapshot: %v", err)
			}
			wantOrig := netnstest.LinkState{Name: tc.nic.Name, MTU: tc.nic.MTU, MAC: tc.nic.MAC, Up: tc.nic.Up}
			if diff := cmp.Diff(wantOrig, netnstest.LinkState{Name: orig.Name, MTU: orig.MTU, MAC: orig.HardwareAddr, Up: orig.Up}); diff != "" {
				t.Errorf("Snapshot (-want +got):\n%s", diff)
			}

			if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
				t.Fatalf("Attach: %v", err)
			}
			tb.RequireState(tb.Pod, tc.target.Name, podState(tc.target.Name, tc.wantMTU, tc.wantMAC))
			tb.RequireLinks(tb.Pod, "pod netns after attach", "lo", tc.target.Name)

			if err := tb.host.Detach(context.Background(), spec, orig, tb.PodPath); err != nil {
				t.Fatalf("Detach: %v", err)
			}
			// No addresses or routes come back: the kernel dropped them
			// when the device left the pod namespace.
			tb.RequireState(tb.Node, tc.nic.Name, wantOrig)
			tb.RequireLinks(tb.Pod, "pod netns after detach", "lo")
			tb.RequireLinks(tb.Node, "node netns after detach", nodeLinks...)
		})
	}
}

func TestAttachDetach_RepeatingConverges(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:01:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
	spec := podSpec(ref, plan.Interface{Name: "net1", MTU: 9000, HardwareAddr: "02:aa:00:00:01:01"})
	orig, err := tb.host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	ctx := context.Background()

	for i := range 2 {
		if err := tb.host.Attach(ctx, spec, tb.PodPath); err != nil {
			t.Fatalf("Attach #%d: %v", i+1, err)
		}
		tb.RequireState(tb.Pod, "net1", podState("net1", 9000, "02:aa:00:00:01:01"))
		tb.RequireLinks(tb.Pod, "pod netns", "lo", "net1")
	}
	for i := range 2 {
		if err := tb.host.Detach(ctx, spec, orig, tb.PodPath); err != nil {
			t.Fatalf("Detach #%d: %v", i+1, err)
		}
		tb.RequireState(tb.Node, nic.Name, netnstest.LinkState{Name: nic.Name, MTU: nic.MTU, MAC: nic.MAC, Up: true})
		tb.RequireLinks(tb.Pod, "pod netns", "lo")
	}
}

func TestAttach_ConvergesAfterCrashAtEachStep(t *testing.T) {
	steps := []Step{AttachMoved, AttachConfigured, AttachAddresses, AttachUp, AttachRoutes}
	for _, crashAfter := range steps {
		t.Run(string(crashAfter), func(t *testing.T) {
			errCrash := errors.New("simulated crash")
			crash := true
			tb := newTestbed(t, WithStepHook(func(step Step) error {
				if crash && step == crashAfter {
					return errCrash
				}
				return nil
			}))
			nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:02:01", MTU: 1500, Up: false}
			tb.AddVethNIC(nic)
			ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
			spec := podSpec(ref, plan.Interface{Name: "net1", MTU: 1400, HardwareAddr: "02:aa:00:00:02:01"})
			orig, err := tb.host.Snapshot(ref)
			if err != nil {
				t.Fatalf("Snapshot: %v", err)
			}
			ctx := context.Background()

			if err := tb.host.Attach(ctx, spec, tb.PodPath); !errors.Is(err, errCrash) {
				t.Fatalf("Attach with a crash after %s: got %v, want the simulated crash", crashAfter, err)
			}
			crash = false
			if err := tb.host.Attach(ctx, spec, tb.PodPath); err != nil {
				t.Fatalf("Attach after the crash: %v", err)
			}
			tb.RequireState(tb.Pod, "net1", podState("net1", 1400, "02:aa:00:00:02:01"))

			if err := tb.host.Detach(ctx, spec, orig, tb.PodPath); err != nil {
				t.Fatalf("Detach: %v", err)
			}
			tb.RequireState(tb.Node, nic.Name, netnstest.LinkState{Name: nic.Name, MTU: nic.MTU, MAC: nic.MAC})
			tb.RequireLinks(tb.Pod, "pod netns", "lo")
		})
	}
}

func TestAttach_ConvergesDeviceMovedWithoutRename(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:03:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
	spec := podSpec(ref, plan.Interface{Name: "net1", MTU: 1300, HardwareAddr: "02:aa:00:00:03:01"})
	orig, err := tb.host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	// A plain move, as another tool or an older attach would leave it:
	// in the pod under its host name, host MTU and MAC.
	link, err := tb.Node.LinkByName(nic.Name)
	if err != nil {
		t.Fatalf("looking up %s: %v", nic.Name, err)
	}
	if err := tb.Node.LinkSetNsFd(link, int(tb.PodNetns.Ns)); err != nil {
		t.Fatalf("moving %s into the pod: %v", nic.Name, err)
	}
	tb.SetAdminState(tb.Pod, nic.Name, true)

	if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	tb.RequireState(tb.Pod, "net1", podState("net1", 1300, "02:aa:00:00:03:01"))
	tb.RequireLinks(tb.Pod, "pod netns", "lo", "net1")

	if err := tb.host.Detach(context.Background(), spec, orig, tb.PodPath); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	tb.RequireState(tb.Node, nic.Name, netnstest.LinkState{Name: nic.Name, MTU: nic.MTU, MAC: nic.MAC, Up: true})
}

func TestAttach_RefusesTargetNameTakenInPodAndLeavesDeviceOnHost(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:04:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	tb.AddBridge(tb.Pod, "net1")
	spec := podSpec(plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}, plan.Interface{Name: "net1", MTU: 9000})
	before := tb.State(tb.Node, nic.Name)

	err := tb.host.Attach(context.Background(), spec, tb.PodPath)
	netnstest.RequireErrorContains(t, err, "nic0", tb.PodPath, "net1 is already taken", "bridge")
	tb.RequireState(tb.Node, nic.Name, before)
	tb.RequireLinks(tb.Pod, "pod netns", "lo", "net1")
}

func TestAttach_RefusesBadSpecWithoutTouchingTheDevice(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(*plan.Device)
		want   string
	}{
		{"address without prefix", func(s *plan.Device) { s.Addresses = []string{"192.0.2.10"} }, `addresses[0] "192.0.2.10"`},
		{"route with bad gateway", func(s *plan.Device) { s.Routes = []plan.Route{{Gateway: "192.0.2"}} }, `routes[0]: gateway "192.0.2"`},
		{"route of mixed families", func(s *plan.Device) { s.Routes = []plan.Route{{Destination: "10.0.0.0/8", Gateway: "2001:db8::1"}} }, "different address families"},
		{"route without destination or gateway", func(s *plan.Device) { s.Routes = []plan.Route{{Table: 100}} }, "needs a destination"},
		{"bad target MAC", func(s *plan.Device) { s.Target.HardwareAddr = "02:aa" }, `target hardware address "02:aa"`},
		{"empty target name", func(s *plan.Device) { s.Target.Name = "" }, "target interface name: is empty"},
		{"target name too long", func(s *plan.Device) { s.Target.Name = "net1234567890123" }, "longer than 15 bytes"},
		{"target name with a slash", func(s *plan.Device) { s.Target.Name = "net/1" }, `"net/1" contains '/'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := newTestbed(t)
			nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:05:01", MTU: 1500, Up: true}
			tb.AddVethNIC(nic)
			spec := podSpec(plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}, plan.Interface{Name: "net1"})
			tc.modify(&spec)
			before := tb.State(tb.Node, nic.Name)

			err := tb.host.Attach(context.Background(), spec, tb.PodPath)
			netnstest.RequireErrorContains(t, err, tc.want)
			tb.RequireState(tb.Node, nic.Name, before)
			tb.RequireLinks(tb.Pod, "pod netns", "lo")
		})
	}
}

func TestAttach_FailsForUnknownDeviceAndMissingNetns(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:06:01", MTU: 1500}
	tb.AddVethNIC(nic)

	err := tb.host.Attach(context.Background(), podSpec(plan.HostLink{Name: "nope0"}, plan.Interface{Name: "net1"}), tb.PodPath)
	netnstest.RequireErrorContains(t, err, "nope0", "found neither", tb.NodePath)

	missing := tb.PodPath + "-missing"
	err = tb.host.Attach(context.Background(), podSpec(plan.HostLink{Name: nic.Name}, plan.Interface{Name: "net1"}), missing)
	netnstest.RequireErrorContains(t, err, "nic0", missing)
	tb.RequireState(tb.Node, nic.Name, netnstest.LinkState{Name: nic.Name, MTU: nic.MTU, MAC: nic.MAC})
}

// Several attaches through one Host at once: the shared host handle must
// hold up (run with -race).
func TestAttachDetach_ConcurrentDevicesThroughOneHost(t *testing.T) {
	tb := newTestbed(t)
	const n = 4
	type dev struct {
		nic     netnstest.NIC
		podPath string
		pod     *netlink.Handle
	}
	devs := make([]dev, n)
	for i := range devs {
		nic := netnstest.NIC{Name: "nic" + string(rune('0'+i)), MAC: "02:00:00:00:07:0" + string(rune('0'+i)), MTU: 1500, Up: true}
		tb.AddVethNIC(nic)
		path, pod := netnstest.NewPodNetns(t)
		devs[i] = dev{nic: nic, podPath: path, pod: pod}
	}
	errs := make(chan error, n)
	for _, d := range devs {
		go func() {
			ref := plan.HostLink{Name: d.nic.Name, HardwareAddr: d.nic.MAC}
			spec := podSpec(ref, plan.Interface{Name: "net1"})
			orig, err := tb.host.Snapshot(ref)
			if err == nil {
				err = tb.host.Attach(context.Background(), spec, d.podPath)
			}
			if err == nil {
				err = tb.host.Detach(context.Background(), spec, orig, d.podPath)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("attach/detach: %v", err)
		}
	}
	for _, d := range devs {
		tb.RequireState(tb.Node, d.nic.Name, netnstest.LinkState{Name: d.nic.Name, MTU: 1500, MAC: d.nic.MAC, Up: true})
		tb.RequireLinks(d.pod, d.podPath, "lo")
	}
}

// The pod already has a device with the NIC's host name: the kernel must
// move it under the target name directly (do_setlink hands IFLA_IFNAME to
// the netns move as the name to use in the target).
func TestAttach_MovesDeviceWhoseHostNameIsTakenInPod(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:08:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	tb.AddBridge(tb.Pod, nic.Name)
	ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
	spec := podSpec(ref, plan.Interface{Name: "net1"})
	orig, err := tb.host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	tb.RequireState(tb.Pod, "net1", podState("net1", 1500, nic.MAC))
	tb.RequireLinks(tb.Pod, "pod netns", "lo", "net1", nic.Name)

	if err := tb.host.Detach(context.Background(), spec, orig, tb.PodPath); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	tb.RequireState(tb.Node, nic.Name, netnstest.LinkState{Name: nic.Name, MTU: nic.MTU, MAC: nic.MAC, Up: true})
	tb.RequireLinks(tb.Pod, "pod netns", "lo", nic.Name)
}

// Only plan.ModeVLAN makes a sub-interface: a VLAN in a plan of another mode (a VF's
// hardware tag goes in its VF plan) must not turn the attach into one; the device
// itself moves into the pod.
func TestAttach_VLANWithoutModeVLANMovesTheDeviceItself(t *testing.T) {
	for _, mode := range []string{"", plan.ModePassthrough} {
		t.Run("mode "+mode, func(t *testing.T) {
			tb := newTestbed(t)
			nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:07:01", MTU: 1500, Up: true}
			tb.AddVethNIC(nic)
			spec := podSpec(plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}, plan.Interface{Name: "net1"})
			spec.Mode, spec.VLAN = mode, &plan.VLAN{ID: 100}

			if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
				t.Fatalf("Attach: %v", err)
			}
			link, err := tb.Pod.LinkByName("net1")
			if err != nil {
				t.Fatalf("looking up net1 in the pod: %v", err)
			}
			if link.Type() != "veth" {
				t.Errorf("net1 in the pod is a %s, want the moved veth", link.Type())
			}
			tb.RequireState(tb.Pod, "net1", podState("net1", nic.MTU, nic.MAC))
			if _, err := tb.Node.LinkByName(nic.Name); err == nil {
				t.Errorf("%s is still on the node; it should have moved into the pod", nic.Name)
			}
		})
	}
}
