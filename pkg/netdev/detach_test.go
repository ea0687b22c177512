package netdev

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
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
			nic := nicSpec{name: "nic0", mac: "02:00:00:00:10:01", mtu: 1500, up: true}
			if tc.macvlan {
				tb.addMacvlanNIC(nic)
			} else {
				tb.addVethNIC(nic)
			}
			tb.addVethNIC(nicSpec{name: "bystander0", mac: "02:00:00:00:10:02", mtu: 1500, up: true})
			ref := LinkRef{Name: nic.name, HardwareAddr: nic.mac}
			spec := podSpec(ref, Target{Name: "net1", MTU: 1400})
			orig, err := tb.host.Snapshot(ref)
			if err != nil {
				t.Fatalf("Snapshot: %v", err)
			}
			if err := tb.host.Attach(context.Background(), spec, tb.podPath); err != nil {
				t.Fatalf("Attach: %v", err)
			}
			nodeLinks := tb.linkNames(tb.node)
			bystander := tb.state(tb.node, "bystander0")

			tb.deletePod()
			if !tc.macvlan {
				// The kernel destroys a veth with its namespace, and
				// its peer with it.
				tb.waitLinkGone(tb.node, nic.name+"p")
				nodeLinks = without(nodeLinks, nic.name+"p")
			}

			for i := range 2 {
				err := tb.host.Detach(context.Background(), spec, orig, tb.podPath)
				if !errors.Is(err, ErrDeviceGone) {
					t.Fatalf("Detach #%d after the pod netns was deleted: got %v, want ErrDeviceGone", i+1, err)
				}
				requireErrorContains(t, err, "nic0", tb.podPath, tb.nodePath)
			}
			tb.requireLinks(tb.node, "node netns", nodeLinks...)
			tb.requireState(tb.node, "bystander0", bystander)
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
		ref  func(nic nicSpec) LinkRef
	}{
		{name: "found by original MAC", ref: func(nic nicSpec) LinkRef { return LinkRef{Name: nic.name, HardwareAddr: nic.mac} }},
		// Without a MAC in the ref the identity still knows the
		// original MAC from the snapshot and the pod MAC from the target.
		{name: "found by the snapshot and target MACs", ref: func(nic nicSpec) LinkRef { return LinkRef{Name: nic.name} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := newTestbed(t)
			nic := nicSpec{name: "nic0", mac: "02:00:00:00:11:01", mtu: 1500, up: true}
			tb.addVethNIC(nic)
			spec := podSpec(tc.ref(nic), Target{Name: "net1", MTU: 1400, HardwareAddr: "02:aa:00:00:11:01"})
			orig, err := tb.host.Snapshot(spec.Link)
			if err != nil {
				t.Fatalf("Snapshot: %v", err)
			}
			if err := tb.host.Attach(context.Background(), spec, tb.podPath); err != nil {
				t.Fatalf("Attach: %v", err)
			}
			link, err := tb.pod.LinkByName("net1")
			if err != nil {
				t.Fatalf("looking up net1 in the pod: %v", err)
			}
			if err := tb.pod.LinkSetName(link, "dev42"); err != nil {
				t.Fatalf("renaming: %v", err)
			}
			if err := tb.pod.LinkSetNsFd(link, int(tb.host.ns)); err != nil {
				t.Fatalf("moving back as the kernel would: %v", err)
			}
			tb.deletePod()

			if err := tb.host.Detach(context.Background(), spec, orig, tb.podPath); err != nil {
				t.Fatalf("Detach: %v", err)
			}
			tb.requireState(tb.node, nic.name, linkState{Name: nic.name, MTU: nic.mtu, MAC: nic.mac, Up: true})
			if err := tb.host.Detach(context.Background(), spec, orig, tb.podPath); err != nil {
				t.Fatalf("second Detach: %v", err)
			}
			tb.requireState(tb.node, nic.name, linkState{Name: nic.name, MTU: nic.mtu, MAC: nic.mac, Up: true})
		})
	}
}

func TestDetach_RefusesOriginalNameTakenOnHostThenSucceedsOnceFree(t *testing.T) {
	tb := newTestbed(t)
	nic := nicSpec{name: "nic0", mac: "02:00:00:00:12:01", mtu: 1500, up: true}
	tb.addVethNIC(nic)
	ref := LinkRef{Name: nic.name, HardwareAddr: nic.mac}
	spec := podSpec(ref, Target{Name: "net1", MTU: 1400})
	orig, err := tb.host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if err := tb.host.Attach(context.Background(), spec, tb.podPath); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	tb.addBridge(tb.node, nic.name)

	err = tb.host.Detach(context.Background(), spec, orig, tb.podPath)
	requireErrorContains(t, err, "net1", tb.podPath, "nic0 is already taken", "bridge")
	// Nothing moved, nothing renamed.
	tb.requireState(tb.pod, "net1", podState("net1", 1400, nic.mac))

	tb.deleteLink(tb.node, nic.name)
	if err := tb.host.Detach(context.Background(), spec, orig, tb.podPath); err != nil {
		t.Fatalf("Detach once the name is free: %v", err)
	}
	tb.requireState(tb.node, nic.name, linkState{Name: nic.name, MTU: nic.mtu, MAC: nic.mac, Up: true})
	tb.requireLinks(tb.pod, "pod netns", "lo")
}

func TestDetach_RefusesRestoringOverAnotherDeviceOnHost(t *testing.T) {
	tb := newTestbed(t)
	nic := nicSpec{name: "nic0", mac: "02:00:00:00:13:01", mtu: 1500, up: true}
	tb.addVethNIC(nic)
	ref := LinkRef{Name: nic.name, HardwareAddr: nic.mac}
	spec := podSpec(ref, Target{Name: "net1"})
	orig, err := tb.host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if err := tb.host.Attach(context.Background(), spec, tb.podPath); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	// Back on the host under its pod name (as after a crash between the
	// move and the rename), while another device took the original name.
	link, err := tb.pod.LinkByName("net1")
	if err != nil {
		t.Fatalf("looking up net1: %v", err)
	}
	if err := tb.pod.LinkSetNsFd(link, int(tb.host.ns)); err != nil {
		t.Fatalf("moving back: %v", err)
	}
	tb.addBridge(tb.node, nic.name)

	err = tb.host.Detach(context.Background(), spec, orig, tb.podPath)
	requireErrorContains(t, err, "net1", "nic0 is already taken", "bridge")
	tb.requireState(tb.node, "net1", linkState{Name: "net1", MTU: 1500, MAC: nic.mac})
}

func TestDetach_FailsWithoutSnapshot(t *testing.T) {
	tb := newTestbed(t)
	err := tb.host.Detach(context.Background(), podSpec(LinkRef{Name: "nic0"}, Target{Name: "net1"}), Original{}, tb.podPath)
	requireErrorContains(t, err, "nic0", "original state has no interface name")
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
	nic := nicSpec{name: "nic0", mac: "02:00:00:00:14:01", mtu: 1500, up: true}
	tb.addVethNIC(nic)
	ref := LinkRef{Name: nic.name, HardwareAddr: nic.mac}
	spec := podSpec(ref, Target{Name: "net1"})
	orig, err := tb.host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if err := tb.host.Attach(context.Background(), spec, tb.podPath); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	tb.pod.Close()
	if err := tb.podNs.Close(); err != nil {
		t.Fatalf("closing pod netns: %v", err)
	}
	tb.podNs = netns.None()
	if err := unix.Unmount(tb.podPath, unix.MNT_DETACH); err != nil {
		t.Fatalf("unmounting %s: %v", tb.podPath, err)
	}
	t.Cleanup(func() {
		if err := os.Remove(tb.podPath); err != nil {
			t.Errorf("removing %s: %v", tb.podPath, err)
		}
	})
	tb.waitLinkGone(tb.node, nic.name+"p")

	err = tb.host.Detach(context.Background(), spec, orig, tb.podPath)
	if !errors.Is(err, ErrDeviceGone) {
		t.Fatalf("Detach: got %v, want ErrDeviceGone", err)
	}
	requireErrorContains(t, err, "not a namespace file")
}
