package netdev

import (
	"bytes"
	"fmt"
	"net"
	"strconv"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/plan"
)

// vfSetting is one setting of a PF's entry for a VF.
type vfSetting int

const (
	vfMAC vfSetting = iota
	vfSpoofCheck
	vfTrust
	vfRate
	vfVLAN
	vfLinkState
)

// vfApplyOrder is the order attach makes the settings in; restore goes backwards.
//   - The MAC first: spoof checking compares the VF's source MAC with the administrative
//     one, and drivers that reset the VF when trust or spoof checking changes (i40e, ice)
//     bring it back with the MAC already in place.
//   - Spoof checking and trust next, then the rates: policy before traffic.
//   - The VLAN after them, so the VF joins its network only under that policy.
//   - The link state last: "enable" forces the VF's link up, which should happen only once
//     everything else holds.
var vfApplyOrder = []vfSetting{vfMAC, vfSpoofCheck, vfTrust, vfRate, vfVLAN, vfLinkState}

// IFLA_VF_LINK_STATE_* values.
const (
	vfLinkAuto    uint32 = 0
	vfLinkEnable  uint32 = 1
	vfLinkDisable uint32 = 2
)

// vfLinkStates maps the link states as the API spells them: auto follows the PF's link,
// enable and disable force the VF's.
var vfLinkStates = map[string]uint32{"auto": vfLinkAuto, "enable": vfLinkEnable, "disable": vfLinkDisable}

// vfEntry is a PF's entry for one VF in kernel terms.
type vfEntry struct {
	mac        net.HardwareAddr
	vlan, qos  int
	vlanProto  int
	spoofCheck bool
	trust      bool
	minRate    int
	maxRate    int
	linkState  uint32
}

// entryOf reads the entry from netlink's VF list (IFLA_VFINFO_LIST).
func entryOf(info netlink.VfInfo) vfEntry {
	return vfEntry{
		mac:        info.Mac,
		vlan:       info.Vlan,
		qos:        info.Qos,
		vlanProto:  normalVLANProto(info.VlanProto),
		spoofCheck: info.Spoofchk,
		trust:      info.Trust == 1,
		minRate:    int(info.MinTxRate),
		maxRate:    int(info.MaxTxRate),
		linkState:  info.LinkState,
	}
}

// normalVLANProto reads a VLAN protocol the way the kernel treats it: drivers that do not
// report one (netdevsim before its first VLAN) mean 802.1Q, the only protocol there was
// before IFLA_VF_VLAN_LIST.
func normalVLANProto(proto int) int {
	if proto == 0 {
		return unix.ETH_P_8021Q
	}
	return proto
}

// resolveVF returns the entry that cur becomes with s applied, and which settings s
// makes. A rate needs both bounds in one message (IFLA_VF_RATE), so a spec that sets only
// one keeps the other's current value.
func resolveVF(s plan.VFSettings, cur vfEntry) (vfEntry, []vfSetting, error) {
	want := cur
	var sets []vfSetting
	if s.MAC != "" {
		mac, err := net.ParseMAC(s.MAC)
		if err != nil {
			return vfEntry{}, nil, fmt.Errorf("VF MAC %q: %w", s.MAC, err)
		}
		want.mac, sets = mac, append(sets, vfMAC)
	}
	if s.SpoofCheck != nil {
		want.spoofCheck, sets = *s.SpoofCheck, append(sets, vfSpoofCheck)
	}
	if s.Trust != nil {
		want.trust, sets = *s.Trust, append(sets, vfTrust)
	}
	if s.MinTxRateMbps != nil || s.MaxTxRateMbps != nil {
		if s.MinTxRateMbps != nil {
			want.minRate = *s.MinTxRateMbps
		}
		if s.MaxTxRateMbps != nil {
			want.maxRate = *s.MaxTxRateMbps
		}
		if want.minRate < 0 || want.maxRate < 0 {
			return vfEntry{}, nil, fmt.Errorf("VF tx rates %d..%d Mbps: negative", want.minRate, want.maxRate)
		}
		sets = append(sets, vfRate)
	}
	if s.VLAN != nil {
		proto, err := parseVLANProtocol(s.VLAN.Protocol)
		if err != nil {
			return vfEntry{}, nil, fmt.Errorf("VF %w", err)
		}
		if s.VLAN.ID < 0 || s.VLAN.ID > 4094 || s.VLAN.QoS < 0 || s.VLAN.QoS > 7 {
			return vfEntry{}, nil, fmt.Errorf("VF VLAN %d qos %d: out of range (0..4094, 0..7)", s.VLAN.ID, s.VLAN.QoS)
		}
		want.vlan, want.qos, want.vlanProto = s.VLAN.ID, s.VLAN.QoS, int(proto)
		sets = append(sets, vfVLAN)
	}
	if s.LinkState != "" {
		state, ok := vfLinkStates[s.LinkState]
		if !ok {
			return vfEntry{}, nil, fmt.Errorf("VF link state %q: want auto, enable or disable", s.LinkState)
		}
		want.linkState, sets = state, append(sets, vfLinkState)
	}
	return want, sets, nil
}

// pendingVF lists, in apply order, the settings of sets on which cur differs from want.
// Settings already right are skipped, so a repeated attach changes nothing.
func pendingVF(sets []vfSetting, want, cur vfEntry) []vfSetting {
	var pending []vfSetting
	for _, s := range vfApplyOrder {
		if containsSetting(sets, s) && !sameSetting(s, want, cur) {
			pending = append(pending, s)
		}
	}
	return pending
}

func containsSetting(sets []vfSetting, s vfSetting) bool {
	for _, x := range sets {
		if x == s {
			return true
		}
	}
	return false
}

// sameSetting compares one setting of two entries. An untagged VLAN has no protocol.
func sameSetting(s vfSetting, a, b vfEntry) bool {
	switch s {
	case vfMAC:
		return bytes.Equal(a.mac, b.mac)
	case vfSpoofCheck:
		return a.spoofCheck == b.spoofCheck
	case vfTrust:
		return a.trust == b.trust
	case vfRate:
		return a.minRate == b.minRate && a.maxRate == b.maxRate
	case vfVLAN:
		if a.vlan != b.vlan || a.qos != b.qos {
			return false
		}
		return a.vlan == 0 && a.qos == 0 || a.vlanProto == b.vlanProto
	case vfLinkState:
		return a.linkState == b.linkState
	}
	return false
}

// describeSetting names a setting with its value in `ip link set PF vf N` words, for
// messages.
func describeSetting(s vfSetting, e vfEntry) string {
	switch s {
	case vfMAC:
		return "mac " + e.mac.String()
	case vfSpoofCheck:
		return "spoofchk " + onOff(e.spoofCheck)
	case vfTrust:
		return "trust " + onOff(e.trust)
	case vfRate:
		return fmt.Sprintf("min_tx_rate %d max_tx_rate %d", e.minRate, e.maxRate)
	case vfVLAN:
		return fmt.Sprintf("vlan %d qos %d proto %s", e.vlan, e.qos, vlanProtocolName(netlink.VlanProtocol(e.vlanProto)))
	case vfLinkState:
		return "state " + linkStateName(e.linkState)
	}
	return fmt.Sprintf("setting %d", s)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func linkStateName(state uint32) string {
	for name, v := range vfLinkStates {
		if v == state {
			return name
		}
	}
	return strconv.FormatUint(uint64(state), 10)
}

// settingsOf returns cur's values of exactly the fields s sets: the snapshot that detach
// restores.
func settingsOf(s plan.VFSettings, cur vfEntry) plan.VFSettings {
	var out plan.VFSettings
	if s.MAC != "" {
		out.MAC = macOrZero(cur.mac).String()
	}
	if s.SpoofCheck != nil {
		out.SpoofCheck = ptrTo(cur.spoofCheck)
	}
	if s.Trust != nil {
		out.Trust = ptrTo(cur.trust)
	}
	if s.MinTxRateMbps != nil {
		out.MinTxRateMbps = ptrTo(cur.minRate)
	}
	if s.MaxTxRateMbps != nil {
		out.MaxTxRateMbps = ptrTo(cur.maxRate)
	}
	if s.VLAN != nil {
		out.VLAN = &plan.VLAN{ID: cur.vlan, QoS: cur.qos, Protocol: vlanProtocolName(netlink.VlanProtocol(cur.vlanProto))}
	}
	if s.LinkState != "" {
		out.LinkState = linkStateName(cur.linkState)
	}
	return out
}

// zeroMAC is what a PF reports for a VF without an administrative MAC, and what clears one.
var zeroMAC = net.HardwareAddr{0, 0, 0, 0, 0, 0}

func macOrZero(mac net.HardwareAddr) net.HardwareAddr {
	if len(mac) == 0 {
		return zeroMAC
	}
	return mac
}

// releasesMAC says whether restoring the administrative MAC orig means clearing it rather
// than setting it. A PF reports as the VF's MAC whatever the VF driver registered itself
// (igb, ixgbe) as well as one an admin set, and setting one pins it: an untrusted VF may
// then not change its own MAC (igb refuses even the same one), so the VF netdev could not
// get its MAC back when it returns. When orig is none or the VF netdev's own MAC from
// before attach, the original state is "not pinned": clear the administrative MAC, and
// the VF re-registers its own when detach gives its netdev the original MAC back, which
// is what the PF then reports again.
func releasesMAC(orig, netdevMAC net.HardwareAddr) bool {
	return bytes.Equal(macOrZero(orig), zeroMAC) || bytes.Equal(orig, netdevMAC)
}

func ptrTo[T any](v T) *T { return &v }
