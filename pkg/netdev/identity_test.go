package netdev

import (
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

func device(name, mac, perm, bus, parent string) netlink.Link {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = name
	attrs.HardwareAddr, _ = net.ParseMAC(mac)
	attrs.PermHWAddr, _ = net.ParseMAC(perm)
	attrs.ParentDevBus = bus
	attrs.ParentDev = parent
	return &netlink.Device{LinkAttrs: attrs}
}

func TestIdentity_RecognisesDeviceByPCIAddressThenMAC(t *testing.T) {
	vf := device("dev12", "02:aa:00:00:00:01", "", "pci", "0000:3b:02.1")
	nic := device("eno1", "02:bb:00:00:00:01", "0c:c4:7a:00:00:01", "pci", "0000:01:00.0")
	veth := device("veth0", "02:00:00:00:00:01", "", "", "")
	for _, tc := range []struct {
		name  string
		ref   plan.HostLink
		known []string
		hints []string
		link  netlink.Link
		want  bool
	}{
		{name: "PCI address, case-insensitive", ref: plan.HostLink{PCIAddress: "0000:3B:02.1"}, link: vf, want: true},
		{name: "other PCI address", ref: plan.HostLink{PCIAddress: "0000:3b:02.2"}, link: vf, want: false},
		{name: "PCI address wins over a matching MAC", ref: plan.HostLink{PCIAddress: "0000:3b:02.2", HardwareAddr: "02:aa:00:00:00:01"}, link: vf, want: false},
		{name: "PCI address alone on a device without a bus", ref: plan.HostLink{PCIAddress: "0000:3b:02.1"}, link: veth, want: false},
		{name: "PCI address on a device without a bus falls back to the MAC", ref: plan.HostLink{PCIAddress: "0000:3b:02.1", HardwareAddr: "02:00:00:00:00:01"}, link: veth, want: true},
		{name: "PCI address and another MAC on a device without a bus", ref: plan.HostLink{PCIAddress: "0000:3b:02.1", HardwareAddr: "02:00:00:00:00:99"}, link: veth, want: false},
		{name: "reference MAC", ref: plan.HostLink{HardwareAddr: "02:00:00:00:00:01"}, link: veth, want: true},
		{name: "snapshot MAC", known: []string{"02:00:00:00:00:01"}, link: veth, want: true},
		{name: "pod MAC carried back by a returned VF", ref: plan.HostLink{HardwareAddr: "02:cc:00:00:00:01"}, hints: []string{"02:aa:00:00:00:01"}, link: vf, want: true},
		{name: "permanent MAC of a NIC whose MAC was changed", ref: plan.HostLink{HardwareAddr: "0c:c4:7a:00:00:01"}, link: nic, want: true},
		{name: "different MAC", ref: plan.HostLink{HardwareAddr: "02:00:00:00:00:99"}, link: veth, want: false},
		{name: "nothing to match", link: veth, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := newIdentity(tc.ref, macs(t, tc.known), macs(t, tc.hints)...)
			if err != nil {
				t.Fatalf("newIdentity: %v", err)
			}
			if got := id.matches(tc.link); got != tc.want {
				t.Errorf("matches(%s) = %v, want %v", tc.link.Attrs().Name, got, tc.want)
			}
		})
	}
}

func TestIdentity_TrustsNameOnlyWhenNothingCanContradictIt(t *testing.T) {
	impostor := device("nic0", "02:00:00:00:00:99", "", "", "")
	for _, tc := range []struct {
		name  string
		ref   plan.HostLink
		hints []string
		want  bool
	}{
		{name: "name only", ref: plan.HostLink{Name: "nic0"}, want: true},
		// The pod MAC is only a hint: the device on the host under
		// its own name does not carry it yet.
		{name: "name and a pod MAC hint", ref: plan.HostLink{Name: "nic0"}, hints: []string{"02:aa:00:00:00:01"}, want: true},
		{name: "MAC contradicts the name", ref: plan.HostLink{Name: "nic0", HardwareAddr: "02:00:00:00:00:01"}, want: false},
		{name: "PCI address contradicts the name", ref: plan.HostLink{Name: "nic0", PCIAddress: "0000:3b:02.1"}, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := newIdentity(tc.ref, nil, macs(t, tc.hints)...)
			if err != nil {
				t.Fatalf("newIdentity: %v", err)
			}
			if got := id.confirms(impostor); got != tc.want {
				t.Errorf("confirms = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestChangeFor_ListsOnlyDifferencesAndSetsDownBeforeRenameOrMACChange(t *testing.T) {
	up := func(l netlink.Link) netlink.Link { l.Attrs().Flags |= net.FlagUp; return l }
	base := func() netlink.Link {
		l := device("net1", "02:00:00:00:00:01", "", "", "")
		l.Attrs().Index, l.Attrs().MTU = 7, 1500
		return l
	}
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	for _, tc := range []struct {
		name         string
		link         netlink.Link
		want         desiredLink
		wantChange   linkChange
		wantDownFrst bool
	}{
		{
			name:       "already as wanted",
			link:       up(base()),
			want:       desiredLink{name: "net1", mtu: 1500, mac: mac("02:00:00:00:00:01"), admin: adminUp},
			wantChange: linkChange{index: 7, netnsFd: -1},
		},
		{
			name:       "zero values keep",
			link:       base(),
			want:       desiredLink{},
			wantChange: linkChange{index: 7, netnsFd: -1},
		},
		{
			name:       "MTU on an up device needs no down",
			link:       up(base()),
			want:       desiredLink{mtu: 9000},
			wantChange: linkChange{index: 7, netnsFd: -1, mtu: 9000},
		},
		{
			name:         "rename of an up device that stays up",
			link:         up(base()),
			want:         desiredLink{name: "eth1", admin: adminUp},
			wantChange:   linkChange{index: 7, netnsFd: -1, name: "eth1", admin: adminUp},
			wantDownFrst: true,
		},
		{
			name:         "MAC change of an up device that goes down",
			link:         up(base()),
			want:         desiredLink{mac: mac("02:00:00:00:00:02"), admin: adminDown},
			wantChange:   linkChange{index: 7, netnsFd: -1, mac: mac("02:00:00:00:00:02")},
			wantDownFrst: true,
		},
		{
			name:       "down only",
			link:       up(base()),
			want:       desiredLink{admin: adminDown},
			wantChange: linkChange{index: 7, netnsFd: -1, admin: adminDown},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, downFirst := changeFor(tc.link, tc.want)
			if diff := cmp.Diff(tc.wantChange, got, cmp.AllowUnexported(linkChange{})); diff != "" {
				t.Errorf("change (-want +got):\n%s", diff)
			}
			if downFirst != tc.wantDownFrst {
				t.Errorf("downFirst = %v, want %v", downFirst, tc.wantDownFrst)
			}
		})
	}
}

func TestParseRoute_DefaultsAndScopes(t *testing.T) {
	for _, tc := range []struct {
		route plan.Route
		want  string
		scope netlink.Scope
	}{
		{route: plan.Route{Gateway: "192.0.2.1"}, want: "0.0.0.0/0 via 192.0.2.1", scope: netlink.SCOPE_UNIVERSE},
		{route: plan.Route{Gateway: "2001:db8::1"}, want: "::/0 via 2001:db8::1", scope: netlink.SCOPE_UNIVERSE},
		{route: plan.Route{Destination: "10.0.0.0/8"}, want: "10.0.0.0/8", scope: netlink.SCOPE_LINK},
		{route: plan.Route{Destination: "10.1.2.3/8", Gateway: "192.0.2.1", Table: 100}, want: "10.0.0.0/8 via 192.0.2.1 table 100", scope: netlink.SCOPE_UNIVERSE},
	} {
		got, err := parseRoute(tc.route)
		if err != nil {
			t.Errorf("parseRoute(%+v): %v", tc.route, err)
			continue
		}
		if s := describeRoute(got); s != tc.want || got.Scope != tc.scope {
			t.Errorf("parseRoute(%+v) = %q scope %v, want %q scope %v", tc.route, s, got.Scope, tc.want, tc.scope)
		}
	}
}

func macs(t *testing.T, ss []string) []net.HardwareAddr {
	t.Helper()
	var out []net.HardwareAddr
	for _, s := range ss {
		out = append(out, netnstest.MustMAC(t, s))
	}
	return out
}
