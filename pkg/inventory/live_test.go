package inventory

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestDiscover_LiveHostNeverListsLoopbackOrTheUplink scans this machine. Its hardware is
// whatever the machine has, so the test asserts only the invariants: the scan succeeds and
// neither lo nor an interface carrying a default route (asked of the kernel over netlink,
// independently of discovery's /proc parsing) is offered.
func TestDiscover_LiveHostNeverListsLoopbackOrTheUplink(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // the embedded pci.ids lands there if this machine has none
	devices, err := Discover(context.Background(), Options{HostRoot: "/"})
	if err != nil {
		t.Fatalf("Discover on the live host: %v", err)
	}
	uplinks := defaultRouteLinks(t)
	if len(uplinks) == 0 {
		t.Log("this machine has no default route; only the loopback invariant is checked")
	}
	for _, d := range devices {
		if d.IfName == "lo" || d.Name == "lo" {
			t.Errorf("loopback is published: %+v", d)
		}
		if uplinks[d.IfName] {
			t.Errorf("the default-route interface %s is published: %+v", d.IfName, d)
		}
	}
	t.Logf("live host: %d devices; default-route interfaces: %v", len(devices), uplinks)
}

func defaultRouteLinks(t *testing.T) map[string]bool {
	t.Helper()
	h, err := netlink.NewHandle()
	if err != nil {
		t.Fatalf("netlink handle: %v", err)
	}
	defer h.Close()
	uplinks := map[string]bool{}
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := h.RouteListFiltered(family, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			t.Fatalf("listing routes: %v", err)
		}
		for _, r := range routes {
			if r.Dst != nil && !r.Dst.IP.IsUnspecified() || r.Type != unix.RTN_UNICAST {
				continue
			}
			if ones, _ := maskOnes(r); ones != 0 {
				continue
			}
			for _, idx := range routeLinkIndexes(r) {
				link, err := h.LinkByIndex(idx)
				if err != nil {
					t.Fatalf("link %d of a default route: %v", idx, err)
				}
				uplinks[link.Attrs().Name] = true
			}
		}
	}
	return uplinks
}

func maskOnes(r netlink.Route) (int, int) {
	if r.Dst == nil {
		return 0, 0
	}
	return r.Dst.Mask.Size()
}

func routeLinkIndexes(r netlink.Route) []int {
	if r.LinkIndex != 0 {
		return []int{r.LinkIndex}
	}
	var idx []int
	for _, nh := range r.MultiPath {
		idx = append(idx, nh.LinkIndex)
	}
	return idx
}

// TestDiscover_LiveHostReadsLinkFactsOverNetlink creates a veth pair and a bridge in this
// machine's namespace (removed afterwards), and checks what discovery reports for them.
func TestDiscover_LiveHostReadsLinkFactsOverNetlink(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // the embedded pci.ids lands there if this machine has none
	h, err := netlink.NewHandle()
	if err != nil {
		t.Fatalf("netlink handle: %v", err)
	}
	defer h.Close()
	suffix := fmt.Sprintf("%04x", os.Getpid()&0xffff)
	bridge := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "ncbr" + suffix}}
	mac, _ := net.ParseMAC("02:6e:63:00:00:01")
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "ncva" + suffix, MTU: 1400, HardwareAddr: mac}, PeerName: "ncvb" + suffix}
	for _, l := range []netlink.Link{bridge, veth} {
		if err := h.LinkAdd(l); err != nil {
			t.Fatalf("creating %s: %v", l.Attrs().Name, err)
		}
		t.Cleanup(func() {
			if err := h.LinkDel(l); err != nil {
				t.Errorf("deleting %s: %v", l.Attrs().Name, err)
			}
		})
	}
	peer, err := h.LinkByName("ncvb" + suffix)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.LinkSetMaster(peer, bridge); err != nil {
		t.Fatalf("enslaving the peer: %v", err)
	}

	devices, err := Discover(context.Background(), Options{HostRoot: "/"})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	byName := map[string]Device{}
	for _, d := range devices {
		byName[d.Name] = d
	}
	want := Device{Name: veth.Name, Kind: KindNIC, IfName: veth.Name, Driver: "veth", LinkType: LinkTypeEthernet,
		MAC: "02:6e:63:00:00:01", MTU: 1400, OperState: "down", Virtual: true}
	if diff := cmp.Diff(want, byName[veth.Name], cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("veth differs (-want +got):\n%s", diff)
	}
	if d, ok := byName[bridge.Name]; ok {
		t.Errorf("a bridge cannot change network namespace but is published: %+v", d)
	}
	if d, ok := byName[peer.Attrs().Name]; ok {
		t.Errorf("a bridge port carries the bridge's traffic but is published: %+v", d)
	}
}
