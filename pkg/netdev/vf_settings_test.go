package netdev

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/plan"
)

func mustMAC(t testing.TB, s string) net.HardwareAddr {
	t.Helper()
	mac, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return mac
}

// settingNames renders settings with describeSetting's words, for readable diffs.
func settingNames(sets []vfSetting, e vfEntry) []string {
	var out []string
	for _, s := range sets {
		out = append(out, describeSetting(s, e))
	}
	return out
}

// pristine is a VF entry as igb reports a fresh VF.
func pristine(t testing.TB) vfEntry {
	return entryOf(netlink.VfInfo{Mac: mustMAC(t, "00:00:00:00:00:00"), VlanProto: unix.ETH_P_8021Q, Spoofchk: true})
}

func everySetting() plan.VFSettings {
	return plan.VFSettings{
		MAC: "02:00:00:00:aa:01", VLAN: &plan.VLAN{ID: 100, QoS: 5, Protocol: plan.VLANProtocol8021AD},
		SpoofCheck: ptrTo(false), Trust: ptrTo(true), MinTxRateMbps: ptrTo(10), MaxTxRateMbps: ptrTo(1000),
		LinkState: "enable",
	}
}

func TestPendingVF_AppliesInDriverOrderOnlyWhatDiffers(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec plan.VFSettings
		cur  func(vfEntry) vfEntry
		want []string
	}{
		{
			name: "every setting from a fresh VF: MAC first, link state last",
			spec: everySetting(),
			want: []string{"mac 02:00:00:00:aa:01", "spoofchk off", "trust on", "min_tx_rate 10 max_tx_rate 1000",
				"vlan 100 qos 5 proto 802.1ad", "state enable"},
		},
		{
			name: "a repeated attach finds everything set and changes nothing",
			spec: everySetting(),
			cur: func(e vfEntry) vfEntry {
				want, _, _ := resolveVF(everySetting(), e)
				return want
			},
		},
		{
			name: "settings the spec leaves alone are not touched",
			spec: plan.VFSettings{Trust: ptrTo(true)},
			want: []string{"trust on"},
		},
		{
			name: "a maximum rate alone keeps the current minimum",
			spec: plan.VFSettings{MaxTxRateMbps: ptrTo(500)},
			cur:  func(e vfEntry) vfEntry { e.minRate = 20; return e },
			want: []string{"min_tx_rate 20 max_tx_rate 500"},
		},
		{
			name: "untagged is untagged whatever protocol the driver reports",
			spec: plan.VFSettings{VLAN: &plan.VLAN{}},
			cur:  func(e vfEntry) vfEntry { e.vlanProto = unix.ETH_P_8021AD; return e },
		},
		{
			name: "the same VLAN ID with another protocol differs",
			spec: plan.VFSettings{VLAN: &plan.VLAN{ID: 7, Protocol: plan.VLANProtocol8021AD}},
			cur:  func(e vfEntry) vfEntry { e.vlan = 7; return e },
			want: []string{"vlan 7 qos 0 proto 802.1ad"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := pristine(t)
			if tc.cur != nil {
				cur = tc.cur(cur)
			}
			want, sets, err := resolveVF(tc.spec, cur)
			if err != nil {
				t.Fatalf("resolveVF: %v", err)
			}
			got := settingNames(pendingVF(sets, want, cur), want)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("pending settings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveVF_RejectsWhatNoPFAccepts(t *testing.T) {
	for _, tc := range []struct {
		spec plan.VFSettings
		want string
	}{
		{plan.VFSettings{MAC: "02:00:00"}, `VF MAC "02:00:00"`},
		{plan.VFSettings{VLAN: &plan.VLAN{ID: 4095}}, "out of range"},
		{plan.VFSettings{VLAN: &plan.VLAN{ID: 1, Protocol: "802.1x"}}, `protocol "802.1x"`},
		{plan.VFSettings{LinkState: "up"}, `link state "up"`},
		{plan.VFSettings{MinTxRateMbps: ptrTo(-1)}, "negative"},
	} {
		_, _, err := resolveVF(tc.spec, vfEntry{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("resolveVF(%+v) = %v, want an error mentioning %q", tc.spec, err, tc.want)
		}
	}
}

func TestSettingsOf_SnapshotsExactlyTheFieldsTheSpecSets(t *testing.T) {
	cur := entryOf(netlink.VfInfo{Mac: mustMAC(t, "02:00:00:00:10:06"), Vlan: 3, Qos: 1, VlanProto: unix.ETH_P_8021Q,
		Spoofchk: true, Trust: 0, MinTxRate: 0, MaxTxRate: 100, LinkState: uint32(vfLinkDisable)})
	for _, tc := range []struct {
		name string
		spec plan.VFSettings
		want plan.VFSettings
	}{
		{name: "everything", spec: everySetting(), want: plan.VFSettings{
			MAC: "02:00:00:00:10:06", VLAN: &plan.VLAN{ID: 3, QoS: 1, Protocol: plan.VLANProtocol8021Q},
			SpoofCheck: ptrTo(true), Trust: ptrTo(false), MinTxRateMbps: ptrTo(0), MaxTxRateMbps: ptrTo(100),
			LinkState: "disable",
		}},
		{name: "one rate bound", spec: plan.VFSettings{MaxTxRateMbps: ptrTo(5)}, want: plan.VFSettings{MaxTxRateMbps: ptrTo(100)}},
		{name: "nothing", spec: plan.VFSettings{}, want: plan.VFSettings{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, settingsOf(tc.spec, cur)); diff != "" {
				t.Errorf("settingsOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReleasesMAC_OnlyWhenNothingWasPinnedBeyondTheVFsOwn(t *testing.T) {
	own := mustMAC(t, "02:00:00:00:10:06")
	for _, tc := range []struct {
		name      string
		orig      net.HardwareAddr
		netdevMAC net.HardwareAddr
		want      bool
	}{
		{name: "no administrative MAC", orig: zeroMAC, netdevMAC: own, want: true},
		{name: "none reported at all", orig: nil, netdevMAC: own, want: true},
		{name: "the MAC the VF registered itself", orig: own, netdevMAC: own, want: true},
		{name: "a MAC an admin pinned", orig: mustMAC(t, "02:00:00:00:99:99"), netdevMAC: own, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := releasesMAC(tc.orig, tc.netdevMAC); got != tc.want {
				t.Errorf("releasesMAC(%s, %s) = %v, want %v", tc.orig, tc.netdevMAC, got, tc.want)
			}
		})
	}
}

func TestVFMismatch_ReportsEverySettingNotRestored(t *testing.T) {
	own := mustMAC(t, "02:00:00:00:10:06")
	orig := plan.VFSettings{MAC: "02:00:00:00:10:06", SpoofCheck: ptrTo(true), VLAN: &plan.VLAN{Protocol: plan.VLANProtocol8021Q}}
	for _, tc := range []struct {
		name  string
		entry netlink.VfInfo
		want  []string
	}{
		{name: "restored", entry: netlink.VfInfo{Mac: own, Spoofchk: true, VlanProto: unix.ETH_P_8021Q}},
		{name: "released MAC not registered again yet", entry: netlink.VfInfo{Mac: zeroMAC, Spoofchk: true}},
		{name: "another MAC still pinned", entry: netlink.VfInfo{Mac: mustMAC(t, "02:00:00:00:aa:01"), Spoofchk: true},
			want: []string{"PF eth0 (driver igb) reads back mac 02:00:00:00:aa:01 for VF 1 after restoring mac 02:00:00:00:10:06"}},
		{
			name:  "VLAN and spoof checking left behind",
			entry: netlink.VfInfo{Mac: own, Spoofchk: false, Vlan: 100, VlanProto: unix.ETH_P_8021Q},
			want: []string{
				"PF eth0 (driver igb) reads back spoofchk off for VF 1 after restoring spoofchk on",
				"PF eth0 (driver igb) reads back vlan 100 qos 0 proto 802.1Q for VF 1 after restoring vlan 0 qos 0 proto 802.1Q",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pf := vfPF{link: &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}}, driver: "igb", entry: entryOf(tc.entry)}
			err := vfMismatch(pf, 1, orig, own)
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mismatches (-want +got):\n%s", diff)
			}
		})
	}
}

// igb reports no MAC for a VF whose driver has not registered one yet; once detach gives
// the VF netdev its MAC back, the VF registers it and igb reports that. Neither is pinned.
func TestVFMismatch_AcceptsTheVFsOwnMACAfterReleasingNone(t *testing.T) {
	own := mustMAC(t, "0e:bd:0f:4a:d1:d3")
	orig := plan.VFSettings{MAC: "00:00:00:00:00:00"}
	for _, reported := range []net.HardwareAddr{zeroMAC, own} {
		pf := vfPF{link: &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}}, driver: "igb", entry: entryOf(netlink.VfInfo{Mac: reported})}
		if err := vfMismatch(pf, 0, orig, own); err != nil {
			t.Errorf("PF reporting %s: %v", reported, err)
		}
	}
	pf := vfPF{link: &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}}, driver: "igb",
		entry: entryOf(netlink.VfInfo{Mac: mustMAC(t, "02:00:00:00:1b:01")})}
	if err := vfMismatch(pf, 0, orig, own); err == nil {
		t.Error("a pod's MAC still pinned on the PF passed as restored")
	}
}

func TestVFSettingError_NamesSettingPFDriverAndWhatToDo(t *testing.T) {
	pf := vfPF{link: &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}}, driver: "igb"}
	e, _, err := resolveVF(everySetting(), pristine(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		setting vfSetting
		errno   unix.Errno
		want    string
	}{
		{vfVLAN, unix.EPROTONOSUPPORT, "PF eth0 (driver igb) refused vlan 100 qos 5 proto 802.1ad for VF 2: protocol not supported: " +
			"the PF's driver does not support this VLAN protocol; use 802.1Q, or VFs of a NIC whose driver supports it"},
		{vfRate, unix.EINVAL, "PF eth0 (driver igb) refused min_tx_rate 10 max_tx_rate 1000 for VF 2: invalid argument: " +
			"the PF's driver rejects this value; change it"},
		{vfLinkState, unix.EOPNOTSUPP, "PF eth0 (driver igb) refused state enable for VF 2: operation not supported: " +
			"the PF's driver does not support this setting; remove it from the config"},
	} {
		t.Run(fmt.Sprint(tc.errno), func(t *testing.T) {
			got := vfSettingError(pf, 2, tc.setting, e, tc.errno)
			if !strings.HasPrefix(got.Error(), tc.want) {
				t.Errorf("error\n  %q\ndoes not start with\n  %q", got, tc.want)
			}
		})
	}
}
