//go:build vmtest

package netdev

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
	"github.com/netclaim/netclaim/test/vmtest"
)

// These tests run on Debian's 6.1 kernel in the test VM (make vm-test), against the two
// kinds of PF it has: netdevsim, whose VF list takes every setting, and the emulated
// igb (82576), a real driver with real limits and igbvf-bound VF netdevs. The Host is
// the VM's initial netns, where the PFs are.

// vfView is the part of a PF's VF entry that the settings change (the counters move on
// their own).
type vfView struct {
	MAC        string
	VLAN, QoS  int
	VLANProto  int
	SpoofCheck bool
	Trust      uint32
	MinRate    uint32
	MaxRate    uint32
	LinkState  uint32
}

// viewOf leaves out the protocol of an untagged VLAN: it means nothing, and no driver
// can be given back the 0 that netdevsim reports before its first VLAN (the kernel takes
// only 802.1Q and 802.1ad).
func viewOf(info netlink.VfInfo) vfView {
	v := vfView{MAC: info.Mac.String(), VLAN: info.Vlan, QoS: info.Qos, VLANProto: info.VlanProto,
		SpoofCheck: info.Spoofchk, Trust: info.Trust, MinRate: info.MinTxRate, MaxRate: info.MaxTxRate, LinkState: info.LinkState}
	if v.VLAN == 0 && v.QoS == 0 {
		v.VLANProto = 0
	}
	return v
}

// withoutOwnMAC reads igb's MAC for VF index as none when it is the VF netdev's own
// (ownMAC): igb reports the MAC the VF driver registered itself as the VF's MAC, before
// attach (when the VF was up before) or after detach gave the netdev its MAC back.
// Neither is pinned; the tests prove that separately by attaching again with another MAC.
func withoutOwnMAC(views []vfView, index int, ownMAC string) []vfView {
	out := append([]vfView(nil), views...)
	if out[index].MAC == ownMAC {
		out[index].MAC = "00:00:00:00:00:00"
	}
	return out
}

// vfViews reads the PF's whole VF list with a socket of its own: what `ip link show PF`
// prints.
func vfViews(t testing.TB, pfName string) []vfView {
	t.Helper()
	link, err := netlink.LinkByName(pfName)
	if err != nil {
		t.Fatalf("reading PF %s: %v", pfName, err)
	}
	var views []vfView
	for _, info := range link.Attrs().Vfs {
		views = append(views, viewOf(info))
	}
	return views
}

func openVMHost(t testing.TB) *Host {
	t.Helper()
	h, err := OpenHost()
	if err != nil {
		t.Fatalf("OpenHost: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("closing host: %v", err)
		}
	})
	return h
}

func newVMPodNetns(t testing.TB) *netnstest.Netns {
	t.Helper()
	return netnstest.NewNamedNetns(t, netnstest.NamePrefix+"pod-"+netnstest.RandomSuffix(t))
}

// addVMVeth creates a veth pair in the VM's initial netns to stand in for the netdev of
// a netdevsim VF (netdevsim's VFs have none in legacy mode); deleted in cleanup unless
// its netns took it.
func addVMVeth(t testing.TB, name, mac string) {
	t.Helper()
	hw, err := net.ParseMAC(mac)
	if err != nil {
		t.Fatal(err)
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name, HardwareAddr: hw, MTU: 1500}, PeerName: name + "p"}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatalf("creating veth %s: %v", name, err)
	}
	t.Cleanup(func() {
		link, err := netlink.LinkByName(name + "p")
		if err != nil {
			return
		}
		if err := netlink.LinkDel(link); err != nil {
			t.Errorf("cleanup: deleting veth %s: %v", name, err)
		}
	})
}

// bringUpWithCarrier sets the PF up and waits for its carrier: igb takes a maximum VF
// rate only while the PF has a link (it checks the rate against the link speed). The
// PF goes down again in cleanup if it was down.
func bringUpWithCarrier(t testing.TB, name string) {
	t.Helper()
	link, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	if link.Attrs().Flags&net.FlagUp == 0 {
		if err := netlink.LinkSetUp(link); err != nil {
			t.Fatalf("setting %s up: %v", name, err)
		}
		t.Cleanup(func() {
			if err := netlink.LinkSetDown(link); err != nil {
				t.Errorf("cleanup: setting %s down: %v", name, err)
			}
		})
	}
	waitVM(t, "carrier on "+name, func() error {
		l, err := netlink.LinkByName(name)
		if err != nil {
			return err
		}
		if l.Attrs().OperState != netlink.OperUp {
			return errors.New("oper state " + l.Attrs().OperState.String())
		}
		return nil
	})
}

// waitVM polls check; the bound only turns a hang into a failure under qemu TCG.
func waitVM(t testing.TB, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// linkByPCI finds the netdev of a PCI function in the initial netns, whatever its name.
func linkByPCI(pci string) (netlink.Link, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if l.Attrs().ParentDevBus == "pci" && l.Attrs().ParentDev == pci {
			return l, nil
		}
	}
	return nil, errNotFound
}

func requireLinkByPCI(t testing.TB, pci string) netlink.Link {
	t.Helper()
	l, err := linkByPCI(pci)
	if err != nil {
		t.Fatalf("VF %s in the initial netns: %v", pci, err)
	}
	return l
}

// netdevsimEverything sets every setting to something a fresh netdevsim VF does not
// have, including what igb refuses (802.1ad, a minimum rate, a forced link state).
func netdevsimEverything() plan.VFSettings {
	return plan.VFSettings{
		MAC: "02:00:00:00:5e:02", VLAN: &plan.VLAN{ID: 100, QoS: 5, Protocol: plan.VLANProtocol8021AD},
		SpoofCheck: ptrTo(true), Trust: ptrTo(true), MinTxRateMbps: ptrTo(10), MaxTxRateMbps: ptrTo(1000),
		LinkState: "enable",
	}
}

func TestVM_VFSettingsOnNetdevsimAppliedThroughAttachAndRestoredByDetach(t *testing.T) {
	pf := vmtest.Netdevsim(t, 11, 4)
	host := openVMHost(t)
	pod := newVMPodNetns(t)
	addVMVeth(t, "vfnd0", "02:00:00:00:5e:01")
	ref := plan.HostLink{Name: "vfnd0", HardwareAddr: "02:00:00:00:5e:01"}
	spec := plan.Device{Host: ref, Target: plan.Interface{Name: "net1", HardwareAddr: "02:00:00:00:5e:02"},
		VF: &plan.VFPlan{PFName: pf.IfName, Index: 2, Settings: netdevsimEverything()}}
	before := vfViews(t, pf.IfName)

	orig, err := host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	vfOrig, err := host.SnapshotVF(*spec.VF)
	if err != nil {
		t.Fatalf("SnapshotVF: %v", err)
	}
	orig.VF = &vfOrig
	if err := host.Attach(context.Background(), spec, pod.Path); err != nil {
		t.Fatalf("Attach: %v", err)
	}

	want := append([]vfView(nil), before...)
	want[2] = vfView{MAC: "02:00:00:00:5e:02", VLAN: 100, QoS: 5, VLANProto: unix.ETH_P_8021AD, SpoofCheck: true, Trust: 1,
		MinRate: 10, MaxRate: 1000, LinkState: uint32(vfLinkEnable)}
	if diff := cmp.Diff(want, vfViews(t, pf.IfName)); diff != "" {
		t.Errorf("PF's VF list after Attach (-want +got):\n%s", diff)
	}
	if _, err := pod.Handle.LinkByName("net1"); err != nil {
		t.Errorf("the VF's stand-in is not in the pod as net1: %v", err)
	}

	if err := host.Attach(context.Background(), spec, pod.Path); err != nil {
		t.Fatalf("repeated Attach: %v", err)
	}
	if err := host.Detach(context.Background(), spec, orig, pod.Path); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	if diff := cmp.Diff(before, vfViews(t, pf.IfName)); diff != "" {
		t.Errorf("PF's VF list after Detach (-before +after):\n%s", diff)
	}
	if err := host.Detach(context.Background(), spec, orig, pod.Path); err != nil {
		t.Fatalf("repeated Detach: %v", err)
	}
}

// The pod netns is deleted before Detach: the stand-in veth dies with it (ErrDeviceGone),
// but the PF's entry must still be restored.
func TestVM_VFSettingsOnNetdevsimRestoredWhenNetnsIsGone(t *testing.T) {
	pf := vmtest.Netdevsim(t, 12, 2)
	host := openVMHost(t)
	pod := newVMPodNetns(t)
	addVMVeth(t, "vfnd1", "02:00:00:00:5f:01")
	ref := plan.HostLink{Name: "vfnd1", HardwareAddr: "02:00:00:00:5f:01"}
	spec := plan.Device{Host: ref, Target: plan.Interface{Name: "net1"},
		VF: &plan.VFPlan{PFName: pf.IfName, Index: 1, Settings: plan.VFSettings{
			VLAN: &plan.VLAN{ID: 4094, QoS: 7}, Trust: ptrTo(true), LinkState: "disable"}}}
	before := vfViews(t, pf.IfName)
	orig, err := host.Snapshot(ref)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	vfOrig, err := host.SnapshotVF(*spec.VF)
	if err != nil {
		t.Fatalf("SnapshotVF: %v", err)
	}
	orig.VF = &vfOrig
	if err := host.Attach(context.Background(), spec, pod.Path); err != nil {
		t.Fatalf("Attach: %v", err)
	}

	pod.Delete()
	waitVM(t, "the veth to die with its netns", func() error {
		if _, err := netlink.LinkByName("vfnd1p"); err == nil {
			return errors.New("vfnd1p still exists")
		}
		return nil
	})
	err = host.Detach(context.Background(), spec, orig, pod.Path)
	if !errors.Is(err, ErrDeviceGone) {
		t.Fatalf("Detach after the netns was deleted: %v, want ErrDeviceGone", err)
	}
	if diff := cmp.Diff(before, vfViews(t, pf.IfName)); diff != "" {
		t.Errorf("PF's VF list after Detach (-before +after):\n%s", diff)
	}
}

// igbSettings are what the emulated igb supports, all changed from a fresh VF's.
func igbSettings(mac string) plan.VFSettings {
	return plan.VFSettings{
		MAC: mac, VLAN: &plan.VLAN{ID: 100, QoS: 3, Protocol: plan.VLANProtocol8021Q},
		SpoofCheck: ptrTo(false), Trust: ptrTo(true), MaxTxRateMbps: ptrTo(100),
	}
}

// igbVFSpec attaches VF index of the igb PF as net1 with MAC mac and settings s.
func igbVFSpec(pf vmtest.PF, vf vmtest.VF, mac string, s plan.VFSettings) plan.Device {
	return plan.Device{
		Host:   plan.HostLink{Name: vf.IfName, PCIAddress: vf.PCIAddress},
		Target: plan.Interface{Name: "net1", HardwareAddr: mac},
		VF:     &plan.VFPlan{PFName: pf.IfName, PFPCIAddress: pf.PCIAddress, Index: vf.Index, Settings: s},
	}
}

// snapshotAll does what the NRI plugin does before Attach.
func snapshotAll(t testing.TB, host *Host, spec plan.Device) plan.Original {
	t.Helper()
	orig, err := host.Snapshot(spec.Host)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if spec.VF != nil {
		vf, err := host.SnapshotVF(*spec.VF)
		if err != nil {
			t.Fatalf("SnapshotVF: %v", err)
		}
		orig.VF = &vf
	}
	return orig
}

func TestVM_IGBVFSettingsAppliedMovedIntoPodAndRestored(t *testing.T) {
	pf := vmtest.IGB(t)
	vfs := pf.VFs(t, 2)
	bringUpWithCarrier(t, pf.IfName)
	host := openVMHost(t)
	pod := newVMPodNetns(t)
	vf := vfs[1]
	const mac = "02:00:00:00:1b:01"
	spec := igbVFSpec(pf, vf, mac, igbSettings(mac))
	before := vfViews(t, pf.IfName)
	netdevBefore := requireLinkByPCI(t, vf.PCIAddress).Attrs()
	orig := snapshotAll(t, host, spec)

	if err := host.Attach(context.Background(), spec, pod.Path); err != nil {
		t.Fatalf("Attach: %v", err)
	}

	want := append([]vfView(nil), before...)
	want[1].MAC, want[1].VLAN, want[1].QoS, want[1].VLANProto = mac, 100, 3, unix.ETH_P_8021Q
	want[1].SpoofCheck, want[1].Trust, want[1].MaxRate = false, 1, 100
	if diff := cmp.Diff(want, vfViews(t, pf.IfName)); diff != "" {
		t.Errorf("PF's VF list after Attach (-want +got):\n%s", diff)
	}
	inPod, err := pod.Handle.LinkByName("net1")
	if err != nil {
		t.Fatalf("VF netdev not in the pod as net1: %v", err)
	}
	if got := inPod.Attrs().HardwareAddr.String(); got != mac {
		t.Errorf("VF netdev in the pod has MAC %s, want %s", got, mac)
	}
	if inPod.Attrs().ParentDev != vf.PCIAddress {
		t.Errorf("net1 in the pod is %s, want VF %s", inPod.Attrs().ParentDev, vf.PCIAddress)
	}

	if err := host.Detach(context.Background(), spec, orig, pod.Path); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	own := netdevBefore.HardwareAddr.String()
	if diff := cmp.Diff(withoutOwnMAC(before, 1, own), withoutOwnMAC(vfViews(t, pf.IfName), 1, own)); diff != "" {
		t.Errorf("PF's VF list after Detach (-before +after):\n%s", diff)
	}
	back := requireLinkByPCI(t, vf.PCIAddress).Attrs()
	if back.Name != netdevBefore.Name || back.HardwareAddr.String() != netdevBefore.HardwareAddr.String() {
		t.Errorf("VF netdev back on the host as %s %s, want %s %s", back.Name, back.HardwareAddr, netdevBefore.Name, netdevBefore.HardwareAddr)
	}

	// The next pod gets the same VF with another MAC: the PF must not pin ours any more.
	const mac2 = "02:00:00:00:1b:02"
	spec2 := igbVFSpec(pf, vf, mac2, plan.VFSettings{MAC: mac2})
	orig2 := snapshotAll(t, host, spec2)
	if err := host.Attach(context.Background(), spec2, pod.Path); err != nil {
		t.Fatalf("second Attach with another MAC: %v", err)
	}
	if got := vfViews(t, pf.IfName)[1].MAC; got != mac2 {
		t.Errorf("PF reports MAC %s for the VF after the second Attach, want %s", got, mac2)
	}
	if err := host.Detach(context.Background(), spec2, orig2, pod.Path); err != nil {
		t.Fatalf("second Detach: %v", err)
	}
	if diff := cmp.Diff(withoutOwnMAC(before, 1, own), withoutOwnMAC(vfViews(t, pf.IfName), 1, own)); diff != "" {
		t.Errorf("PF's VF list after the second Detach (-before +after):\n%s", diff)
	}
}

// igb's limits (TESTBED.md): each refusal must name the setting, the PF and its driver,
// and undo the settings made before it (the MAC and trust come first in the order).
func TestVM_IGBUnsupportedSettingsFailClearlyAndLeaveNothingHalfApplied(t *testing.T) {
	pf := vmtest.IGB(t)
	vfs := pf.VFs(t, 1)
	bringUpWithCarrier(t, pf.IfName)
	host := openVMHost(t)
	pod := newVMPodNetns(t)
	vf := vfs[0]
	const mac = "02:00:00:00:1c:01"
	for _, tc := range []struct {
		name    string
		setting func(*plan.VFSettings)
		want    []string
	}{
		{
			name:    "802.1ad",
			setting: func(s *plan.VFSettings) { s.VLAN = &plan.VLAN{ID: 100, Protocol: plan.VLANProtocol8021AD} },
			want:    []string{"driver igb", "refused vlan 100 qos 0 proto 802.1ad for VF 0", "protocol not supported", "use 802.1Q"},
		},
		{
			name:    "minimum tx rate",
			setting: func(s *plan.VFSettings) { s.MinTxRateMbps = ptrTo(10) },
			want:    []string{"driver igb", "refused min_tx_rate 10 max_tx_rate 0 for VF 0", "invalid argument", "rejects this value"},
		},
		{
			name:    "link state",
			setting: func(s *plan.VFSettings) { s.LinkState = "enable" },
			want:    []string{"driver igb", "refused state enable for VF 0", "operation not supported", "does not support this setting"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := plan.VFSettings{MAC: mac, Trust: ptrTo(true), SpoofCheck: ptrTo(false)}
			tc.setting(&s)
			spec := igbVFSpec(pf, vf, mac, s)
			before := vfViews(t, pf.IfName)
			netdevBefore := requireLinkByPCI(t, vf.PCIAddress).Attrs()

			err := host.Attach(context.Background(), spec, pod.Path)

			netnstest.RequireErrorContains(t, err, append([]string{"PF " + pf.IfName}, tc.want...)...)
			if strings.Contains(err.Error(), "undoing") {
				t.Errorf("undo failed: %v", err)
			}
			if diff := cmp.Diff(before, vfViews(t, pf.IfName)); diff != "" {
				t.Errorf("PF's VF list after the failed Attach (-before +after):\n%s", diff)
			}
			now := requireLinkByPCI(t, vf.PCIAddress).Attrs()
			if now.Name != netdevBefore.Name || now.HardwareAddr.String() != netdevBefore.HardwareAddr.String() ||
				now.Flags&net.FlagUp != netdevBefore.Flags&net.FlagUp {
				t.Errorf("VF netdev after the failed Attach: %s %s %v, want it unchanged: %s %s %v", now.Name, now.HardwareAddr, now.Flags,
					netdevBefore.Name, netdevBefore.HardwareAddr, netdevBefore.Flags)
			}
			links, err := pod.Handle.LinkList()
			if err != nil || len(links) != 1 {
				t.Errorf("pod netns has %d links (%v), want only lo", len(links), err)
			}
		})
	}
}

// The pod netns is deleted first: the kernel returns the VF netdev to the initial netns
// (under its pod name, or devN); Detach finds it there and restores it and the PF's entry.
func TestVM_IGBVFReturnedFromDeletedNetnsIsRestoredWithItsPFSettings(t *testing.T) {
	pf := vmtest.IGB(t)
	vfs := pf.VFs(t, 1)
	bringUpWithCarrier(t, pf.IfName)
	host := openVMHost(t)
	pod := newVMPodNetns(t)
	vf := vfs[0]
	const mac = "02:00:00:00:1d:01"
	spec := igbVFSpec(pf, vf, mac, igbSettings(mac))
	before := vfViews(t, pf.IfName)
	netdevBefore := requireLinkByPCI(t, vf.PCIAddress).Attrs()
	orig := snapshotAll(t, host, spec)
	if err := host.Attach(context.Background(), spec, pod.Path); err != nil {
		t.Fatalf("Attach: %v", err)
	}

	pod.Delete()
	waitVM(t, "the VF netdev to return to the initial netns", func() error {
		_, err := linkByPCI(vf.PCIAddress)
		return err
	})
	if err := host.Detach(context.Background(), spec, orig, pod.Path); err != nil {
		t.Fatalf("Detach after the netns was deleted: %v", err)
	}

	own := netdevBefore.HardwareAddr.String()
	if diff := cmp.Diff(withoutOwnMAC(before, 0, own), withoutOwnMAC(vfViews(t, pf.IfName), 0, own)); diff != "" {
		t.Errorf("PF's VF list after Detach (-before +after):\n%s", diff)
	}
	back := requireLinkByPCI(t, vf.PCIAddress).Attrs()
	if back.Name != netdevBefore.Name || back.HardwareAddr.String() != netdevBefore.HardwareAddr.String() {
		t.Errorf("VF netdev restored as %s %s, want %s %s", back.Name, back.HardwareAddr, netdevBefore.Name, netdevBefore.HardwareAddr)
	}
}
