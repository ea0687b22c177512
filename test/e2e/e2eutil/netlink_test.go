package e2eutil

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// newTestNetns makes a named network namespace for the test and deletes it at cleanup.
// netns.NewNamed moves the calling thread into the new namespace, so it runs on a locked
// thread that is moved back before it is unlocked.
func newTestNetns(t *testing.T) (string, netns.NsHandle) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("creating a network namespace needs root")
	}
	name := fmt.Sprintf("e2eutil-test-%d", os.Getpid())
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatalf("current network namespace: %v", err)
	}
	defer orig.Close()
	ns, err := netns.NewNamed(name)
	if err != nil {
		t.Fatalf("creating network namespace %s: %v", name, err)
	}
	if err := netns.Set(orig); err != nil {
		t.Fatalf("returning to the original network namespace: %v", err)
	}
	t.Cleanup(func() {
		ns.Close()
		if err := netns.DeleteNamed(name); err != nil {
			t.Errorf("deleting network namespace %s: %v", name, err)
		}
	})
	return filepath.Join("/var/run/netns", name), ns
}

func TestReadLinks_ReportsMTUMACStateAndGlobalAddresses(t *testing.T) {
	path, ns := newTestNetns(t)
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	mac, _ := net.ParseMAC("02:00:00:00:00:07")
	// A veth pair, not a veth: the veth module is not loaded on every test host.
	peerMAC, _ := net.ParseMAC("02:00:00:00:00:08")
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "data0", MTU: 1400, HardwareAddr: mac}, PeerName: "peer0", PeerHardwareAddr: peerMAC}
	if err := h.LinkAdd(veth); err != nil {
		t.Fatalf("adding veth pair: %v", err)
	}
	for _, cidr := range []string{"192.0.2.9/24", "192.0.2.1/24"} {
		addr, _ := netlink.ParseAddr(cidr)
		if err := h.AddrAdd(veth, addr); err != nil {
			t.Fatalf("adding %s: %v", cidr, err)
		}
	}
	if err := h.LinkSetUp(veth); err != nil {
		t.Fatalf("setting data0 up: %v", err)
	}

	got := MustReadLinks(t, path)
	want := map[string]Link{
		"lo":    {Name: "lo", MTU: 65536},
		"peer0": {Name: "peer0", MTU: 1400, MAC: "02:00:00:00:00:08"},
		"data0": {Name: "data0", MTU: 1400, MAC: "02:00:00:00:00:07", Up: true, Addrs: []string{"192.0.2.1/24", "192.0.2.9/24"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("links in %s (-want +got):\n%s", path, diff)
	}
}

func TestReadLinks_MissingNamespaceIsAnError(t *testing.T) {
	if _, err := ReadLinks("/var/run/netns/e2eutil-no-such-namespace"); err == nil {
		t.Error("ReadLinks of a missing namespace returned no error")
	}
}
