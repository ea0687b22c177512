package publish

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/dynamic-resource-allocation/resourceslice"
	"k8s.io/klog/v2/ktesting"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
	"github.com/netclaim/netclaim/pkg/plan"
)

// Names the small host below publishes its devices under, in name order.
const (
	vf0Device  = "pci-0000-3b-02-0"
	vf1Device  = "pci-0000-3b-02-1"
	nicDevice  = "pci-0000-af-00-0"
	vethDevice = "veth-a"
)

// smallHost is a node with an uplink, a NIC, a PF with two VFs and a veth, in the state
// a test puts it in.
type smallHost struct {
	nicMTU int
	// vf1InPod: VF 1's netdev is in a pod's netns, so the host sees the function only.
	vf1InPod bool
	// vethGone: the veth moved into a pod's netns, so the host does not see it at all.
	vethGone bool
}

func (s smallHost) fake() *fakesys.Host {
	h := fakesys.NewHost()
	h.AddNIC(fakesys.NIC{
		PCIAddress: "0000:18:00.0", Vendor: "14e4", Device: "16d7", Driver: "bnxt_en",
		Netdev: fakesys.Netdev{IfName: "eno1", SpeedMbps: 25000, Uplink: true},
	})
	h.AddNIC(fakesys.NIC{
		PCIAddress: "0000:af:00.0", Vendor: "8086", Device: "10d3", Driver: "e1000e",
		Netdev: fakesys.Netdev{IfName: "ens3", MTU: s.nicMTU, SpeedMbps: 1000},
	})
	vf1 := fakesys.VF{Driver: "mlx5_core", Netdev: fakesys.Netdev{IfName: "ens1f0v1", SpeedMbps: 25000}}
	if s.vf1InPod {
		vf1.Netdev = fakesys.Netdev{}
	}
	h.AddPF(fakesys.PF{
		NIC: fakesys.NIC{
			PCIAddress: "0000:3b:00.0", Vendor: "15b3", Device: "1017", Driver: "mlx5_core",
			Netdev: fakesys.Netdev{IfName: "ens1f0", SpeedMbps: 25000},
		},
		TotalVFs: 8,
		VFDevice: "1018",
		VFs: []fakesys.VF{
			{Driver: "mlx5_core", Netdev: fakesys.Netdev{IfName: "ens1f0v0", SpeedMbps: 25000}},
			vf1,
		},
	})
	if !s.vethGone {
		h.AddVirtual(fakesys.VirtualNIC{Kind: "veth", Netdev: fakesys.Netdev{IfName: "veth-a"}})
	}
	return h
}

// switchableHost is a host root whose content a test replaces between rescans: a symlink
// pointing at the current tree, replaced atomically, as the live sysfs changes under a
// running plugin.
type switchableHost struct {
	t    *testing.T
	root string
}

func newSwitchableHost(t *testing.T, s smallHost) *switchableHost {
	t.Helper()
	h := &switchableHost{t: t, root: filepath.Join(t.TempDir(), "host")}
	h.become(s)
	return h
}

// become writes s into a fresh tree and points the root at it.
func (h *switchableHost) become(s smallHost) {
	h.t.Helper()
	tree := h.t.TempDir()
	if err := s.fake().Write(tree); err != nil {
		h.t.Fatalf("writing the host: %v", err)
	}
	next := h.root + ".next"
	if err := os.Symlink(tree, next); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Rename(next, h.root); err != nil {
		h.t.Fatal(err)
	}
}

// newTestPublisher wires a publisher as the plugin does: the view keeps what the claims
// in the checkpoint hold.
func newTestPublisher(t *testing.T, root string) (*Publisher, *inventory.View, *checkpoint.Store) {
	t.Helper()
	store, err := checkpoint.Open(filepath.Join(t.TempDir(), "checkpoint.json"))
	if err != nil {
		t.Fatal(err)
	}
	view := inventory.NewView(store.DevicesInUse)
	return NewPublisher("node-a", inventory.Options{HostRoot: root}, view), view, store
}

func mustRescan(ctx context.Context, t *testing.T, p *Publisher) bool {
	t.Helper()
	changed, err := p.Rescan(ctx)
	if err != nil {
		t.Fatalf("Rescan: %v", err)
	}
	return changed
}

// publishedDevices are the devices of the node's pool by name.
func publishedDevices(res resourceslice.DriverResources) map[string]resourceapi.Device {
	out := map[string]resourceapi.Device{}
	for _, s := range res.Pools["node-a"].Slices {
		for _, d := range s.Devices {
			out[d.Name] = d
		}
	}
	return out
}

func deviceNames(res resourceslice.DriverResources) []string {
	var names []string
	for name := range publishedDevices(res) {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func intAttribute(attrs map[resourceapi.QualifiedName]resourceapi.DeviceAttribute, name resourceapi.QualifiedName) int64 {
	if a, ok := attrs[name]; ok && a.IntValue != nil {
		return *a.IntValue
	}
	return -1
}

func TestPublisher_RescanReportsAChangeOnlyWhenDevicesChanged(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	host := newSwitchableHost(t, smallHost{nicMTU: 1500})
	p, _, _ := newTestPublisher(t, host.root)

	if !mustRescan(ctx, t, p) {
		t.Fatal("the first scan reported no change; the plugin would start with nothing to publish")
	}
	if diff := cmp.Diff([]string{vf0Device, vf1Device, nicDevice, vethDevice}, deviceNames(p.Resources())); diff != "" {
		t.Fatalf("published devices (-want +got):\n%s", diff)
	}
	first := p.Resources()

	if mustRescan(ctx, t, p) {
		t.Error("a rescan of the same tree reported a change")
	}
	host.become(smallHost{nicMTU: 1500})
	if mustRescan(ctx, t, p) {
		t.Error("a rescan of a rewritten tree with the same facts reported a change")
	}
	if diff := cmp.Diff(first, p.Resources(), quantityEqual); diff != "" {
		t.Errorf("resources after unchanged rescans (-first +now):\n%s", diff)
	}

	host.become(smallHost{nicMTU: 9000})
	if !mustRescan(ctx, t, p) {
		t.Fatal("a rescan after the NIC's MTU changed reported no change")
	}
	if got := intAttribute(publishedDevices(p.Resources())[nicDevice].Attributes, AttributeMTU); got != 9000 {
		t.Errorf("published MTU of %s = %d, want 9000", nicDevice, got)
	}
	if got := intAttribute(p.DeviceAttributes(nicDevice), AttributeMTU); got != 9000 {
		t.Errorf("metadata MTU of %s = %d, want 9000: the attributes were not rebuilt", nicDevice, got)
	}
	if mustRescan(ctx, t, p) {
		t.Error("a rescan right after the change reported another change")
	}
}

func TestPublisher_DeviceInUseStaysPublishedAfterItLeftTheHost(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	host := newSwitchableHost(t, smallHost{nicMTU: 1500})
	p, view, store := newTestPublisher(t, host.root)
	mustRescan(ctx, t, p)
	before := p.Resources()
	vf1Before, _ := view.Lookup(vf1Device)

	claim := plan.Claim{UID: "c1", PodUID: "p1", Devices: []plan.Device{{Device: vf1Device}, {Device: vethDevice}}}
	if err := store.Put(claim); err != nil {
		t.Fatal(err)
	}
	// The claim's netdevs went into the pod: VF 1 lost its netdev, the veth vanished.
	host.become(smallHost{nicMTU: 1500, vf1InPod: true, vethGone: true})
	if mustRescan(ctx, t, p) {
		t.Error("devices in use leaving the host reported a change; they must stay as published")
	}
	if diff := cmp.Diff(before, p.Resources(), quantityEqual); diff != "" {
		t.Errorf("resources while the devices are in a pod (-before +now):\n%s", diff)
	}
	if a := p.DeviceAttributes(vf1Device)[AttributeIfName]; a.StringValue == nil || *a.StringValue != "ens1f0v1" {
		t.Errorf("metadata ifName of %s = %v, want the one from before the claim", vf1Device, a.StringValue)
	}
	if got, ok := view.Lookup(vf1Device); !ok || !cmp.Equal(vf1Before, got) {
		t.Errorf("prepare's Lookup(%s) = %+v, %v; want the description from before the claim %+v", vf1Device, got, ok, vf1Before)
	}

	// Released while the pod's netns keeps them: the scan is the truth again.
	if err := store.Delete("c1"); err != nil {
		t.Fatal(err)
	}
	if !mustRescan(ctx, t, p) {
		t.Fatal("releasing the claim of devices gone from the host reported no change")
	}
	if diff := cmp.Diff([]string{vf0Device, vf1Device, nicDevice}, deviceNames(p.Resources())); diff != "" {
		t.Errorf("published devices after release (-want +got):\n%s", diff)
	}
	if _, ok := publishedDevices(p.Resources())[vf1Device].Attributes[AttributeIfName]; ok {
		t.Errorf("%s still publishes an ifName after release, with its netdev gone", vf1Device)
	}
}

// sinkFunc records what the publisher hands to kubelet's helper.
type sinkFunc func(resourceslice.DriverResources)

func (f sinkFunc) PublishResources(_ context.Context, res resourceslice.DriverResources) error {
	f(res)
	return nil
}

func TestPublisher_RunPublishesTheFirstScanThenOnlyChanges(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	host := newSwitchableHost(t, smallHost{nicMTU: 1500})
	p, _, _ := newTestPublisher(t, host.root)
	mustRescan(ctx, t, p)

	published := make(chan resourceslice.DriverResources, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx, sinkFunc(func(res resourceslice.DriverResources) { published <- res }), 5*time.Millisecond)
	}()
	defer func() { cancel(); <-done }()

	next := func(what string) resourceslice.DriverResources {
		t.Helper()
		select {
		case res := <-published:
			return res
		case <-time.After(10 * time.Second):
			t.Fatalf("nothing published: %s", what)
		}
		return resourceslice.DriverResources{}
	}
	if diff := cmp.Diff(deviceNames(p.Resources()), deviceNames(next("the first scan"))); diff != "" {
		t.Errorf("first publish (-want +got):\n%s", diff)
	}
	// Many rescan intervals of an unchanged host: nothing more goes to the API.
	select {
	case res := <-published:
		t.Errorf("an unchanged host was published again: %v", deviceNames(res))
	case <-time.After(200 * time.Millisecond):
	}

	host.become(smallHost{nicMTU: 9000})
	if got := intAttribute(publishedDevices(next("the NIC's MTU changed"))[nicDevice].Attributes, AttributeMTU); got != 9000 {
		t.Errorf("republished MTU of %s = %d, want 9000", nicDevice, got)
	}
}
