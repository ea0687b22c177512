package netdev

import (
	"context"
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

func TestDetach_ReportsGoneWhenPodNetnsDeletedWithVirtualDevice(t *testing.T) {
	for _, tc := range []struct {
		name    string
		macvlan bool
	}{
		{name: "veth"},
		{name: "macvlan", macvlan: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := newTestbed(t)
			nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:10:01", MTU: 1500, Up: true}
			if tc.macvlan {
				tb.AddMacvlanNIC(nic)
			} else {
				tb.AddVethNIC(nic)
			}
			tb.AddVethNIC(netnstest.NIC{Name: "bystander0", MAC: "02:00:00:00:10:02", MTU: 1500, Up: true})
			ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
			spec := podSpec(ref, plan.Interface{Name: "net1", MTU: 1400})
			orig, err := tb.host.Snapshot(ref)
			if err != nil {
				t.Fatalf("Snapshot: %v", err)
			}
			if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
				t.Fatalf("Attach: %v", err)
			}
			nodeLinks := tb.LinkNames(tb.Node)
			bystander := tb.State(tb.Node, "bystander0")

			tb.DeletePod()
			if !tc.macvlan {
				// The kernel destroys a veth with its namespace, and
				// its peer with it.
				tb.WaitLinkGone(tb.Node, nic.Name+"p")
				nodeLinks = without(nodeLinks, nic.Name+"p")
			}

			for i := range 2 {
				err := tb.host.Detach(context.Background(), spec, orig, tb.PodPath)
				if !errors.Is(err, ErrDeviceGone) {
					t.Fatalf("Detach #%d after the pod netns was deleted: got %v, want ErrDeviceGone", i+1, err)
				}
				netnstest.RequireErrorContains(t, err, "nic0", tb.PodPath, tb.NodePath)
			}
			tb.RequireLinks(tb.Node, "node netns", nodeLinks...)
			tb.RequireState(tb.Node, "bystander0", bystander)
		})
	}
}

// The kernel returns a physical device or VF from a destroyed namespace to
// the initial namespace, renamed devN when its name is taken there, still
// carrying the pod's MTU and MAC. veths cannot show that (they are
// destroyed), so the test puts the device where the kernel would and deletes
// the pod netns: Detach must find it by MAC and restore it.
func TestDetach_RestoresDeviceTheKernelReturnedRenamed(t *testing.T) {
	for _, tc := range []struct {
		name string
		ref  func(nic netnstest.NIC) plan.HostLink
	}{
		{name: "found by original MAC", ref: func(nic netnstest.NIC) plan.HostLink { return plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC} }},
		// Without a MAC in the ref the identity still knows the
		// original MAC from the snapshot and the pod MAC from the target.
		{name: "found by the snapshot and target MACs", ref: func(nic netnstest.NIC) plan.HostLink { return plan.HostLink{Name: nic.Name} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := newTestbed(t)
			nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:11:01", MTU: 1500, Up: true}
			tb.AddVethNIC(nic)
			spec := podSpec(tc.ref(nic), plan.Interface{Name: "net1", MTU: 1400, HardwareAddr: "02:aa:00:00:11:01"})
			orig, err := tb.host.Snapshot(spec.Host)
			if err != nil {
				t.Fatalf("Snapshot: %v", err)
			}
			if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
				t.Fatalf("Attach: %v", err)
			}
			link, err := tb.Pod.LinkByName("net1")
			if err != nil {
				t.Fatalf("looking up net1 in the pod: %v", err)
			}
			if err := tb.Pod.LinkSetName(link, "dev42"); err != nil {
				t.Fatalf("renaming: %v", err)
			}
			if err := tb.Pod.LinkSetNsFd(link, int(tb.host.ns)); err != nil {
				t.Fatalf("moving back as the kernel would: %v", err)
			}
			tb.DeletePod()

			if err := tb.host.Detach(context.Background(), spec, orig, tb.PodPath); err != nil {
				t.Fatalf("Detach: %v", err)
			}
			tb.RequireState(tb.Node, nic.Name, netnstest.LinkState{Name: nic.Name, MTU: nic.MTU, MAC: nic.MAC, Up: true})
			if err := tb.host.Detach(context.Background(), spec, orig, tb.PodPath); err != nil {
				t.Fatalf("second Detach: %v", err)
			}
			tb.RequireState(tb.Node, nic.Name, netnstest.LinkState{Name: nic.Name, MTU: nic.MTU, MAC: nic.MAC, Up: true})
		})
	}
}

func TestDetach_RefusesOriginalNameTakenOnHostThenSucceedsOnceFree(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:12:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
	spec := podSpec(ref, plan.Interface{Name: "net1", MTU: 1400})
	orig, err := tb.host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	tb.AddBridge(tb.Node, nic.Name)

	err = tb.host.Detach(context.Background(), spec, orig, tb.PodPath)
	netnstest.RequireErrorContains(t, err, "net1", tb.PodPath, "nic0 is already taken", "bridge")
	// Nothing moved, nothing renamed.
	tb.RequireState(tb.Pod, "net1", podState("net1", 1400, nic.MAC))

	tb.DeleteLink(tb.Node, nic.Name)
	if err := tb.host.Detach(context.Background(), spec, orig, tb.PodPath); err != nil {
		t.Fatalf("Detach once the name is free: %v", err)
	}
	tb.RequireState(tb.Node, nic.Name, netnstest.LinkState{Name: nic.Name, MTU: nic.MTU, MAC: nic.MAC, Up: true})
	tb.RequireLinks(tb.Pod, "pod netns", "lo")
}

func TestDetach_RefusesRestoringOverAnotherDeviceOnHost(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:13:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
	spec := podSpec(ref, plan.Interface{Name: "net1"})
	orig, err := tb.host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	// Back on the host under its pod name (as after a crash between the
	// move and the rename), while another device took the original name.
	link, err := tb.Pod.LinkByName("net1")
	if err != nil {
		t.Fatalf("looking up net1: %v", err)
	}
	if err := tb.Pod.LinkSetNsFd(link, int(tb.host.ns)); err != nil {
		t.Fatalf("moving back: %v", err)
	}
	tb.AddBridge(tb.Node, nic.Name)

	err = tb.host.Detach(context.Background(), spec, orig, tb.PodPath)
	netnstest.RequireErrorContains(t, err, "net1", "nic0 is already taken", "bridge")
	tb.RequireState(tb.Node, "net1", netnstest.LinkState{Name: "net1", MTU: 1500, MAC: nic.MAC})
}

func TestDetach_FailsWithoutSnapshot(t *testing.T) {
	tb := newTestbed(t)
	err := tb.host.Detach(context.Background(), podSpec(plan.HostLink{Name: "nic0"}, plan.Interface{Name: "net1"}), plan.Original{}, tb.PodPath)
	netnstest.RequireErrorContains(t, err, "nic0", "original state has no interface name")
}

func without(names []string, drop string) []string {
	var out []string
	for _, n := range names {
		if n != drop {
			out = append(out, n)
		}
	}
	return out
}

// A runtime may unmount a pod netns but leave the empty mount point file
// behind: that is a deleted namespace too, not an error.
func TestDetach_TreatsUnmountedNetnsFileAsGone(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:14:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
	spec := podSpec(ref, plan.Interface{Name: "net1"})
	orig, err := tb.host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if err := tb.host.Attach(context.Background(), spec, tb.PodPath); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	tb.PodNetns.Close()
	if err := unix.Unmount(tb.PodPath, unix.MNT_DETACH); err != nil {
		t.Fatalf("unmounting %s: %v", tb.PodPath, err)
	}
	t.Cleanup(func() {
		if err := os.Remove(tb.PodPath); err != nil {
			t.Errorf("removing %s: %v", tb.PodPath, err)
		}
	})
	tb.WaitLinkGone(tb.Node, nic.Name+"p")

	err = tb.host.Detach(context.Background(), spec, orig, tb.PodPath)
	if !errors.Is(err, ErrDeviceGone) {
		t.Fatalf("Detach: got %v, want ErrDeviceGone", err)
	}
	netnstest.RequireErrorContains(t, err, "not a namespace file")
}
