//go:build vmtest

package nri

import (
	"context"
	"net"
	"path/filepath"
	"testing"

	nriapi "github.com/containerd/nri/pkg/api"
	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"k8s.io/klog/v2/ktesting"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
	"github.com/netclaim/netclaim/test/vmtest"
)

// crash is what the step hook panics with: the plugin process dying at that step.
type crash struct{}

// runUntilCrash runs RunPodSandbox and reports whether it died at the hook.
func runUntilCrash(ctx context.Context, p *Plugin, pod *nriapi.PodSandbox) (crashed bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(crash); !ok {
				panic(r)
			}
			crashed = true
		}
	}()
	return false, p.RunPodSandbox(ctx, pod)
}

// vfEntry is the part of a PF's VF entry the settings change.
func vfEntry(t testing.TB, pfName string, index int) netlink.VfInfo {
	t.Helper()
	link, err := netlink.LinkByName(pfName)
	if err != nil {
		t.Fatalf("reading PF %s: %v", pfName, err)
	}
	info := link.Attrs().Vfs[index]
	info.RxPackets, info.TxPackets, info.RxBytes, info.TxBytes = 0, 0, 0, 0
	info.Multicast, info.Broadcast, info.RxDropped, info.TxDropped = 0, 0, 0, 0
	if info.Vlan == 0 && info.Qos == 0 {
		// Untagged has no protocol; netdevsim reports 0 until its first VLAN.
		info.VlanProto = 0
	}
	return info
}

func openHostForVM(t testing.TB, opts ...netdev.Option) *netdev.Host {
	t.Helper()
	h, err := netdev.OpenHost(opts...)
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

// The plugin dies right after the VF moved: the PF carries our settings, the checkpoint
// the snapshot from before. The restarted plugin's repeated RunPodSandbox must keep that
// snapshot (not take our settings for the original), and StopPodSandbox must restore the
// PF's entry to what it was before the first attach. netdevsim is the PF (it takes every
// setting); a veth in the VM's initial netns stands in for the VF's netdev.
func TestVM_VFOriginalSurvivesAPluginCrashAfterTheMove(t *testing.T) {
	pf := vmtest.Netdevsim(t, 21, 2)
	_, ctx := ktesting.NewTestContext(t)
	mac, _ := net.ParseMAC("02:00:00:00:21:01")
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "vfnri0", HardwareAddr: mac, MTU: 1500}, PeerName: "vfnri0p"}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatalf("creating veth: %v", err)
	}
	t.Cleanup(func() {
		if l, err := netlink.LinkByName("vfnri0p"); err == nil {
			if err := netlink.LinkDel(l); err != nil {
				t.Errorf("cleanup: deleting veth: %v", err)
			}
		}
	})
	pod := netnstest.NewNamedNetns(t, netnstest.NamePrefix+"pod-"+netnstest.RandomSuffix(t))
	ckpt := filepath.Join(t.TempDir(), "checkpoint.json")
	store, err := checkpoint.Open(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	dev := plan.Device{
		Request: "vf", Pool: poolName, Device: "vfnri0",
		Host:   plan.HostLink{Name: "vfnri0", HardwareAddr: mac.String()},
		Target: plan.Interface{Name: "net1", HardwareAddr: "02:00:00:00:21:02"},
		VF: &plan.VFPlan{PFName: pf.IfName, Index: 1, Settings: plan.VFSettings{
			MAC: "02:00:00:00:21:02", VLAN: &plan.VLAN{ID: 10, QoS: 1, Protocol: "802.1ad"},
			Trust: ptrTo(true), MaxTxRateMbps: ptrTo(100), LinkState: "disable",
		}},
	}
	claim := newClaim("claim-vf", "pod-uid-vf", dev)
	if err := store.Put(claim); err != nil {
		t.Fatal(err)
	}
	before := vfEntry(t, pf.IfName, 1)
	sb := sandbox("sandbox-1", "pod-uid-vf", pod.Path)

	dying := New(Config{Checkpoint: store, Host: openHostForVM(t, netdev.WithStepHook(func(step netdev.Step) error {
		if step == netdev.AttachMoved {
			panic(crash{})
		}
		return nil
	}))})
	crashed, err := runUntilCrash(ctx, dying, sb)
	if !crashed {
		t.Fatalf("RunPodSandbox returned %v instead of dying after the move", err)
	}
	if got := vfEntry(t, pf.IfName, 1); got.Trust != 1 || got.Vlan != 10 {
		t.Fatalf("the PF does not carry the settings at the crash: %+v", got)
	}

	store, err = checkpoint.Open(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	restarted := New(Config{Checkpoint: store, Host: openHostForVM(t)})
	if err := restarted.RunPodSandbox(ctx, sb); err != nil {
		t.Fatalf("RunPodSandbox after the restart: %v", err)
	}
	stored, _ := store.Get(claim.UID)
	wantOrig := &plan.VFOriginal{MAC: "00:00:00:00:00:00", VLAN: &plan.VLAN{Protocol: "802.1Q"},
		Trust: ptrTo(false), MaxTxRateMbps: ptrTo(0), LinkState: "auto"}
	if diff := cmp.Diff(wantOrig, stored.Attachment.Originals[0].VF); diff != "" {
		t.Errorf("VF original in the checkpoint after the repeated attach (-want +got):\n%s", diff)
	}

	if err := restarted.StopPodSandbox(ctx, stopEvent(sb)); err != nil {
		t.Fatalf("StopPodSandbox: %v", err)
	}
	if diff := cmp.Diff(before, vfEntry(t, pf.IfName, 1)); diff != "" {
		t.Errorf("PF's entry for VF 1 after StopPodSandbox (-before +after):\n%s", diff)
	}
}
