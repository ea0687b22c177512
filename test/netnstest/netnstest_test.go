package netnstest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// spyTB records what a helper reports instead of failing the real test, so
// the tests can show that the assertion helpers do fail. Fatal paths are not
// spied on: they must stop the goroutine.
type spyTB struct {
	testing.TB
	mu       sync.Mutex
	errs     []string
	cleanups []func()
}

func (s *spyTB) Helper() {}

func (s *spyTB) Errorf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
}

func (s *spyTB) Cleanup(f func()) { s.cleanups = append(s.cleanups, f) }

func (s *spyTB) runCleanups() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
}

func (s *spyTB) requireOneErrorContaining(t *testing.T, parts ...string) {
	t.Helper()
	if len(s.errs) != 1 {
		t.Fatalf("helper reported %d errors, want 1: %q", len(s.errs), s.errs)
	}
	for _, p := range parts {
		if !strings.Contains(s.errs[0], p) {
			t.Errorf("reported error %q does not contain %q", s.errs[0], p)
		}
	}
}

func netnsInode(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(path, &fs); err != nil {
		t.Fatalf("statfs %s: %v", path, err)
	}
	if fs.Type != unix.NSFS_MAGIC {
		t.Fatalf("%s is not a namespace file (filesystem magic %#x)", path, fs.Type)
	}
	return st.Ino
}

func requireGone(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists after the test's cleanup (stat: %v)", p, err)
		}
	}
}

func TestNew_CreatesSeparateNodeAndPodNamespacesAndRemovesThem(t *testing.T) {
	RequireRoot(t)
	var paths []string
	t.Run("testbed", func(t *testing.T) {
		tb := New(t)
		extraPath, extra := NewPodNetns(t)
		paths = []string{tb.NodePath, tb.PodPath, extraPath}

		inodes := map[uint64]string{netnsInode(t, "/proc/self/ns/net"): "the test process"}
		for _, p := range paths {
			ino := netnsInode(t, p)
			if other, dup := inodes[ino]; dup {
				t.Errorf("%s is the same namespace as %s", p, other)
			}
			inodes[ino] = p
		}
		for _, h := range []*netlink.Handle{tb.Node, tb.Pod, extra} {
			tb.RequireLinks(h, "a new namespace", "lo")
		}
	})
	requireGone(t, paths...)
}

func TestState_ReadsBackNameMTUMACAddressesAndRoutes(t *testing.T) {
	tb := New(t)
	tb.AddVethNIC(NIC{Name: "nic0", MAC: "02:00:00:00:00:01", MTU: 1400, Up: true})
	link, err := tb.Node.LinkByName("nic0")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"192.0.2.10/24", "2001:db8:1::10/64"} {
		addr, err := netlink.ParseAddr(a)
		if err != nil {
			t.Fatal(err)
		}
		addr.Flags = unix.IFA_F_NODAD
		if err := tb.Node.AddrAdd(link, addr); err != nil {
			t.Fatalf("adding %s: %v", a, err)
		}
	}
	for _, r := range []struct{ dst, gw string }{
		{"0.0.0.0/0", "192.0.2.1"},
		{"203.0.113.0/24", "192.0.2.1"},
	} {
		route := netlink.Route{LinkIndex: link.Attrs().Index, Gw: net.ParseIP(r.gw), Dst: cidr(t, r.dst)}
		if r.dst == "203.0.113.0/24" {
			route.Table = 100
		}
		if err := tb.Node.RouteAdd(&route); err != nil {
			t.Fatalf("adding route %s: %v", r.dst, err)
		}
	}

	tb.RequireState(tb.Node, "nic0", LinkState{
		Name: "nic0", MTU: 1400, MAC: "02:00:00:00:00:01", Up: true,
		Addresses: []string{"192.0.2.10/24", "2001:db8:1::10/64"},
		Routes:    []string{"203.0.113.0/24 via 192.0.2.1 table 100", "default via 192.0.2.1"},
	})
	tb.RequireState(tb.Node, "nic0p", LinkState{Name: "nic0p", MTU: 1400, MAC: tb.State(tb.Node, "nic0p").MAC})
	tb.RequireLinks(tb.Node, "node netns", "lo", "nic0", "nic0p")
}

func TestAddMacvlanNIC_CreatesMacvlanOnVethParent(t *testing.T) {
	tb := New(t)
	tb.AddMacvlanNIC(NIC{Name: "mv0", MAC: "02:00:00:00:00:02", MTU: 1400})
	tb.RequireState(tb.Node, "mv0", LinkState{Name: "mv0", MTU: 1400, MAC: "02:00:00:00:00:02"})
	tb.RequireLinks(tb.Node, "node netns", "lo", "mv0", "mv0par", "mv0parp")
	link, err := tb.Node.LinkByName("mv0")
	if err != nil {
		t.Fatal(err)
	}
	if link.Type() != "macvlan" {
		t.Errorf("mv0 is a %s, want a macvlan", link.Type())
	}
}

func TestDeletePod_DestroysTheVirtualDevicesInIt(t *testing.T) {
	tb := New(t)
	tb.AddVethNIC(NIC{Name: "nic0", Up: true})
	tb.AddBridge(tb.Node, "br0")
	link, err := tb.Node.LinkByName("nic0")
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Node.LinkSetNsFd(link, int(tb.PodNetns.Ns)); err != nil {
		t.Fatalf("moving nic0 into the pod: %v", err)
	}
	tb.RequireLinks(tb.Pod, "pod netns", "lo", "nic0")

	tb.DeletePod()
	requireGone(t, tb.PodPath)
	tb.WaitLinkGone(tb.Node, "nic0p")
	tb.DeleteLink(tb.Node, "br0")
	tb.RequireLinks(tb.Node, "node netns", "lo")
}

func TestRequireHelpers_ReportDifferences(t *testing.T) {
	tb := New(t)
	tb.AddVethNIC(NIC{Name: "nic0", MAC: "02:00:00:00:00:03", MTU: 1500})
	spy := &spyTB{TB: t}
	spied := *tb
	spied.T = spy

	spied.RequireState(tb.Node, "nic0", LinkState{Name: "nic0", MTU: 9000, MAC: "02:00:00:00:00:03"})
	spy.requireOneErrorContaining(t, "state of nic0", "9000", "1500")

	spy.errs = nil
	spied.RequireLinks(tb.Node, "node netns", "lo", "nic0")
	spy.requireOneErrorContaining(t, "devices in node netns", "nic0p")

	spy.errs = nil
	RequireErrorContains(spy, errors.New("moving nic0 into pod"), "nic0", "net1")
	spy.requireOneErrorContaining(t, `does not contain "net1"`)
}

func TestRequireLinksUnchanged_ReportsALeakedDeviceOnlyWhenThereIsOne(t *testing.T) {
	tb := New(t)
	for _, tc := range []struct {
		name  string
		leak  bool
		wants int
	}{
		{name: "nothing leaked"},
		{name: "a bridge leaked", leak: true, wants: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spy := &spyTB{TB: t}
			requireLinksUnchanged(spy, "node netns", tb.Node.LinkList)
			if tc.leak {
				tb.AddBridge(tb.Node, "leak0")
				defer tb.DeleteLink(tb.Node, "leak0")
			}
			spy.runCleanups()
			if tc.wants == 0 {
				if len(spy.errs) != 0 {
					t.Errorf("leak check reported %q, want nothing", spy.errs)
				}
				return
			}
			spy.requireOneErrorContaining(t, "links of node netns changed", "+", "leak0")
		})
	}
}

func TestNetnsDelete_ThenCleanupIsQuiet(t *testing.T) {
	RequireRoot(t)
	var path string
	t.Run("inner", func(t *testing.T) {
		n := NewNamedNetns(t, NamePrefix+"del-"+RandomSuffix(t))
		path = n.Path
		n.Delete()
		n.Close() // idempotent
		requireGone(t, n.Path)
	})
	requireGone(t, path)
}

func cidr(t *testing.T, s string) *net.IPNet {
	t.Helper()
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatalf("parsing %s: %v", s, err)
	}
	return n
}
