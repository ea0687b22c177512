package netnstest

import (
	"net"
	"testing"

	"github.com/vishvananda/netlink"
)

// NIC describes a virtual device standing in for a NIC on the node.
type NIC struct {
	Name string
	// MAC and MTU: empty or zero keep the kernel's choice.
	MAC string
	MTU int
	Up  bool
}

// AddVethNIC adds a veth called nic.Name to the node namespace; its peer,
// nic.Name+"p", stays there too. A veth is destroyed with the namespace it is
// in, and takes its peer with it.
func (tb *Testbed) AddVethNIC(nic NIC) {
	tb.T.Helper()
	veth := &netlink.Veth{
		LinkAttrs: netlink.LinkAttrs{Name: nic.Name, MTU: nic.MTU, HardwareAddr: MustMAC(tb.T, nic.MAC)},
		PeerName:  nic.Name + "p",
	}
	if err := tb.Node.LinkAdd(veth); err != nil {
		tb.T.Fatalf("adding veth %s: %v", nic.Name, err)
	}
	tb.SetAdminState(tb.Node, nic.Name, nic.Up)
}

// AddMacvlanNIC adds a macvlan called nic.Name on a veth parent
// (nic.Name+"par", peer nic.Name+"parp"), all in the node namespace: a
// device that, like a VF, changes namespace while its parent stays on the
// host.
func (tb *Testbed) AddMacvlanNIC(nic NIC) {
	tb.T.Helper()
	parent := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: nic.Name + "par"}, PeerName: nic.Name + "parp"}
	if err := tb.Node.LinkAdd(parent); err != nil {
		tb.T.Fatalf("adding macvlan parent %s: %v", parent.Name, err)
	}
	mv := &netlink.Macvlan{
		LinkAttrs: netlink.LinkAttrs{
			Name: nic.Name, MTU: nic.MTU, HardwareAddr: MustMAC(tb.T, nic.MAC), ParentIndex: parent.Attrs().Index,
		},
		Mode: netlink.MACVLAN_MODE_BRIDGE,
	}
	if err := tb.Node.LinkAdd(mv); err != nil {
		tb.T.Fatalf("adding macvlan %s: %v", nic.Name, err)
	}
	tb.SetAdminState(tb.Node, nic.Name, nic.Up)
}

// SetAdminState sets the device called name in h's namespace up or down.
func (tb *Testbed) SetAdminState(h *netlink.Handle, name string, up bool) {
	tb.T.Helper()
	link, err := h.LinkByName(name)
	if err != nil {
		tb.T.Fatalf("looking up %s: %v", name, err)
	}
	set := h.LinkSetDown
	if up {
		set = h.LinkSetUp
	}
	if err := set(link); err != nil {
		tb.T.Fatalf("setting %s up=%v: %v", name, up, err)
	}
}

// AddBridge creates a bridge called name through h, e.g. to occupy a name.
func (tb *Testbed) AddBridge(h *netlink.Handle, name string) {
	tb.T.Helper()
	if err := h.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}); err != nil {
		tb.T.Fatalf("adding bridge %s: %v", name, err)
	}
}

// DeleteLink deletes the device called name in h's namespace.
func (tb *Testbed) DeleteLink(h *netlink.Handle, name string) {
	tb.T.Helper()
	link, err := h.LinkByName(name)
	if err != nil {
		tb.T.Fatalf("looking up %s: %v", name, err)
	}
	if err := h.LinkDel(link); err != nil {
		tb.T.Fatalf("deleting %s: %v", name, err)
	}
}

// MustMAC parses s, failing the test when it is not a MAC; "" gives nil.
func MustMAC(t testing.TB, s string) net.HardwareAddr {
	t.Helper()
	if s == "" {
		return nil
	}
	mac, err := net.ParseMAC(s)
	if err != nil {
		t.Fatalf("bad MAC %q: %v", s, err)
	}
	return mac
}
