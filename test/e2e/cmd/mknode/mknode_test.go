package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/netclaim/netclaim/pkg/inventory"
)

// newTestNetns creates a named network namespace for the test and deletes it afterwards.
func newTestNetns(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates a network namespace and veth interfaces")
	}
	name := fmt.Sprintf("mknode-test-%d", os.Getpid())
	errc := make(chan error, 1)
	go func() {
		// NewNamed switches the thread into the new namespace: switch back, and if that
		// fails keep the thread locked so Go discards it.
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		ns, err := netns.NewNamed(name)
		if err != nil {
			errc <- err
			return
		}
		ns.Close()
		if err := netns.Set(orig); err != nil {
			errc <- err
			return
		}
		runtime.UnlockOSThread()
		errc <- nil
	}()
	if err := <-errc; err != nil {
		t.Fatalf("creating netns %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := netns.DeleteNamed(name); err != nil {
			t.Errorf("deleting netns %s: %v", name, err)
		}
	})
	return filepath.Join("/run/netns", name)
}

// linksIn reads name -> (MAC, MTU, up) of every link in the namespace back from the kernel.
func linksIn(t *testing.T, nsPath string) map[string]link {
	t.Helper()
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	list, err := h.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]link{}
	for _, l := range list {
		a := l.Attrs()
		if a.OperState != netlink.OperUp && a.Name != "lo" {
			t.Errorf("link %s is %s, want up", a.Name, a.OperState)
		}
		got[a.Name] = link{Name: a.Name, MAC: a.HardwareAddr.String(), MTU: a.MTU}
	}
	return got
}

func TestRun_PublishedDevicesMatchTheInterfacesInTheNodeNetns(t *testing.T) {
	for _, index := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("node%d", index), func(t *testing.T) {
			nsPath := newTestNetns(t)
			root := filepath.Join(t.TempDir(), "root")
			if err := run(index, root, nsPath); err != nil {
				t.Fatal(err)
			}
			devices, err := inventory.Discover(context.Background(), inventory.Options{HostRoot: root})
			if err != nil {
				t.Fatal(err)
			}
			if len(devices) == 0 {
				t.Fatal("the tree publishes no devices")
			}
			kernel := linksIn(t, nsPath)
			for _, d := range devices {
				want := link{Name: d.IfName, MAC: d.MAC, MTU: d.MTU}
				if diff := cmp.Diff(want, kernel[d.IfName]); diff != "" {
					t.Errorf("device %s: tree vs kernel (-tree +kernel):\n%s", d.Name, diff)
				}
				if _, ok := kernel[peerName(d.IfName)]; !ok {
					t.Errorf("device %s: peer %s missing", d.Name, peerName(d.IfName))
				}
				if d.IfName == "eno1" {
					t.Errorf("the uplink eno1 is published as %s", d.Name)
				}
			}
		})
	}
}

func TestShapeOf_NodesDiffer(t *testing.T) {
	seen := map[nodeShape]bool{}
	for index := 1; index <= 3; index++ {
		seen[shapeOf(index)] = true
	}
	if len(seen) != 3 {
		t.Errorf("nodes 1-3 share shapes: %v", seen)
	}
}
