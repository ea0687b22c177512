//go:build vmtest

package lifecycle

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"
	"k8s.io/klog/v2/ktesting"
	"tags.cncf.io/container-device-interface/pkg/cdi"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/driver"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/nri"
	"github.com/netclaim/netclaim/pkg/publish"
	"github.com/netclaim/netclaim/test/netnstest"
	"github.com/netclaim/netclaim/test/vmtest"
)

// These tests run one claim through its whole node-side life on real igb SR-IOV VFs in
// the test VM (make vm-test): discovery on the live sysfs, the published device names,
// prepare, the NRI sandbox hooks and unprepare, wired as cmd/netclaim-plugin wires them.
// The VM's initial netns is the node's host netns.

// vmNode is the plugin's node side over the VM's live host, with the igb PF up (a VF has
// a carrier, and igb takes a maximum tx rate, only while its PF has a link) and numVFs
// VFs, each up as a VF in use on a node would be.
type vmNode struct {
	t        *testing.T
	pf       vmtest.PF
	vfs      []vmtest.VF
	stateDir string
	cdiDir   string
	inv      *inventory.View
	pub      *publish.Publisher
	drv      *driver.Driver
	nri      *nri.Plugin
	// hostNL and reads are for the test's read-backs only.
	hostNL *netlink.Handle
	reads  *netnstest.Testbed
}

func newVMNode(t *testing.T, numVFs int) *vmNode {
	t.Helper()
	pf := vmtest.IGB(t)
	ignoreRouterAdvertisements(t)
	vfs := pf.VFs(t, numVFs)
	// After the VFs: enabling SR-IOV resets the PF, which takes its link down again.
	pf.Up(t)
	for _, vf := range vfs {
		link, err := netlink.LinkByName(vf.IfName)
		if err == nil {
			err = netlink.LinkSetUp(link)
		}
		if err != nil {
			t.Fatalf("setting %v up: %v", vf, err)
		}
	}
	// The VM has no pci.ids: discovery unpacks its embedded copy under TMPDIR.
	t.Setenv("TMPDIR", t.TempDir())
	hostNL, err := netlink.NewHandle()
	if err != nil {
		t.Fatalf("netlink handle in the initial netns: %v", err)
	}
	t.Cleanup(hostNL.Close)

	dir := t.TempDir()
	n := &vmNode{t: t, pf: pf, vfs: vfs, stateDir: dir + "/state", cdiDir: dir + "/cdi",
		hostNL: hostNL, reads: &netnstest.Testbed{T: t}}
	store, err := checkpoint.Open(n.checkpointPath())
	if err != nil {
		t.Fatal(err)
	}
	host, err := netdev.OpenHost()
	if err != nil {
		t.Fatalf("OpenHost: %v", err)
	}
	t.Cleanup(func() {
		if err := host.Close(); err != nil {
			t.Errorf("closing host: %v", err)
		}
	})
	n.inv = inventory.NewView(store.DevicesInUse)
	n.pub = publish.NewPublisher(nodeName, inventory.Options{HostRoot: "/"}, n.inv)
	n.nri = nri.New(nri.Config{Checkpoint: store, Host: host})
	n.drv, err = driver.New(driver.Config{
		DriverName: driverName, NodeName: nodeName, Checkpoint: store, CDIDir: n.cdiDir,
		Devices: n.inv.Lookup, Detacher: n.nri, Netdevs: host, HostRoot: "/",
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// ignoreRouterAdvertisements keeps the VM's network out of the VF's host state: qemu's
// user network answers an up VF with a carrier with IPv6 router advertisements, which
// would give its netdev a SLAAC address and a default route at random moments. A VF's
// per-device setting does not survive a trip through the pod's netns (the kernel rebuilds
// its IPv6 state from the default on the way back), so the default is what counts; it is
// set before the VFs exist and put back in cleanup.
func ignoreRouterAdvertisements(t *testing.T) {
	t.Helper()
	const path = "/proc/sys/net/ipv6/conf/default/accept_ra"
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if err := os.WriteFile(path, []byte("0"), 0); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(path, old, 0); err != nil {
			t.Errorf("cleanup: restoring %s: %v", path, err)
		}
	})
}

func (n *vmNode) checkpointPath() string { return n.stateDir + "/checkpoint.json" }

// rescan runs the plugin's publisher and returns the devices of the node's pool by name.
func (n *vmNode) rescan() map[string]resourceapi.Device {
	n.t.Helper()
	_, ctx := ktesting.NewTestContext(n.t)
	if _, err := n.pub.Rescan(ctx); err != nil {
		n.t.Fatalf("rescanning the VM: %v", err)
	}
	published := map[string]resourceapi.Device{}
	for _, slice := range n.pub.Resources().Pools[nodeName].Slices {
		for _, d := range slice.Devices {
			published[d.Name] = d
		}
	}
	return published
}

// publishedDevice rescans and returns the name the VF is published under, found by its
// PCI address attribute as a DeviceClass selector would.
func (n *vmNode) publishedDevice(vf vmtest.VF) string {
	n.t.Helper()
	var names []string
	for name, d := range n.rescan() {
		if a := d.Attributes[publish.AttributePCIAddress]; a.StringValue != nil && *a.StringValue == vf.PCIAddress {
			names = append(names, name)
		}
	}
	if len(names) != 1 {
		n.t.Fatalf("%v is published as %v, want exactly one device", vf, names)
	}
	return names[0]
}

func (n *vmNode) mustPrepare(claim *resourceapi.ResourceClaim) kubeletplugin.PrepareResult {
	n.t.Helper()
	_, ctx := ktesting.NewTestContext(n.t)
	res, err := n.drv.PrepareResourceClaims(ctx, []*resourceapi.ResourceClaim{claim})
	if err != nil || res[claim.UID].Err != nil {
		n.t.Fatalf("prepare: %v / %v", err, res[claim.UID].Err)
	}
	got := res[claim.UID]
	if len(got.Devices) != 1 || len(got.Devices[0].CDIDeviceIDs) != 1 {
		n.t.Fatalf("prepare result devices = %+v, want one device with one CDI ID", got.Devices)
	}
	return got
}

func (n *vmNode) mustStop() {
	n.t.Helper()
	_, ctx := ktesting.NewTestContext(n.t)
	// containerd sends StopPodSandbox without the netns path.
	if err := n.nri.StopPodSandbox(ctx, sandbox("sb-1", "pod-uid-1", "")); err != nil {
		n.t.Fatalf("StopPodSandbox: %v", err)
	}
}

func (n *vmNode) mustUnprepare(claim *resourceapi.ResourceClaim) {
	n.t.Helper()
	_, ctx := ktesting.NewTestContext(n.t)
	res, err := n.drv.UnprepareResourceClaims(ctx, []kubeletplugin.NamespacedObject{{NamespacedName: claimKey(claim), UID: claim.UID}})
	if err != nil || res[claim.UID] != nil {
		n.t.Fatalf("unprepare: %v / %v", err, res[claim.UID])
	}
}

// requireNoClaimLeft checks what unprepare must leave behind: no CDI spec, and an empty
// checkpoint as read from disk (not from the store in memory).
func (n *vmNode) requireNoClaimLeft() {
	n.t.Helper()
	requireEmptyDir(n.t, n.cdiDir)
	left, err := checkpoint.Inspect(n.checkpointPath())
	if err != nil {
		n.t.Fatalf("checkpoint.Inspect: %v", err)
	}
	if len(left) != 0 {
		n.t.Errorf("checkpoint holds %d claims after unprepare: %+v", len(left), left)
	}
}

// hostVF is everything the host sees of one VF: its netdev in the initial netns (found
// by PCI address, whatever its name) and its entry in the PF's VF list.
type hostVF struct {
	Netdev netnstest.LinkState
	Entry  vfEntry
}

func (n *vmNode) hostVF(vf vmtest.VF) hostVF {
	n.t.Helper()
	name := vmtest.WaitNetdev(n.t, vf.PCIAddress)
	st := n.reads.State(n.hostNL, name)
	return hostVF{Netdev: st, Entry: unpinnedOwnMAC(n.vfEntry(vf.Index), st.MAC)}
}

// unpinnedOwnMAC reads the PF's MAC for a VF as none when it is the VF netdev's own:
// igb reports no MAC for a fresh VF (igbvf picked a random one while the PF was still in
// reset and never told it), but once igbvf sets a MAC itself, as when detach gives the
// netdev its MAC back or a rebound igbvf picks a new one, igb reports that MAC. Both mean
// "no administrative MAC", which is how netdev's own read-back after detach judges it; a
// pinned MAC (the pod's) is never the netdev's own on the host, so it still shows.
func unpinnedOwnMAC(e vfEntry, netdevMAC string) vfEntry {
	if e.MAC == netdevMAC {
		e.MAC = "00:00:00:00:00:00"
	}
	return e
}

func (n *vmNode) requireHostVF(vf vmtest.VF, when string, want hostVF) {
	n.t.Helper()
	if diff := cmp.Diff(want, n.hostVF(vf)); diff != "" {
		n.t.Errorf("%v on the host %s (-want +got):\n%s", vf, when, diff)
	}
}

// vfEntry is the part of a PF's VF entry that settings change (the counters move on
// their own).
type vfEntry struct {
	MAC        string
	VLAN, QoS  int
	VLANProto  int
	SpoofCheck bool
	Trust      uint32
	MinTxRate  uint32
	MaxTxRate  uint32
	LinkState  uint32
}

func (n *vmNode) vfEntry(index int) vfEntry {
	n.t.Helper()
	link, err := n.hostNL.LinkByName(n.pf.IfName)
	if err != nil {
		n.t.Fatalf("reading PF %s: %v", n.pf.IfName, err)
	}
	vfs := link.Attrs().Vfs
	if index >= len(vfs) {
		n.t.Fatalf("PF %s lists %d VFs, want VF %d", n.pf.IfName, len(vfs), index)
	}
	i := vfs[index]
	return vfEntry{MAC: i.Mac.String(), VLAN: i.Vlan, QoS: i.Qos, VLANProto: i.VlanProto, SpoofCheck: i.Spoofchk,
		Trust: i.Trust, MinTxRate: i.MinTxRate, MaxTxRate: i.MaxTxRate, LinkState: i.LinkState}
}

func newVMPod(t *testing.T) *netnstest.Netns {
	return netnstest.NewNamedNetns(t, netnstest.NamePrefix+"vmpod-"+netnstest.RandomSuffix(t))
}

const podMAC = "02:00:00:00:1a:01"

// igbVFConfig is a NetworkConfig for an igb VF with everything igb supports: the pod's
// interface name, an MTU below the PF's, a MAC, two addresses and a route, a hardware VLAN
// with priority and the sriov settings, each changed from a fresh VF's. vlanProtocol ""
// leaves the protocol to its default (802.1Q).
func igbVFConfig(ifName, vlanProtocol string) string {
	proto := ""
	if vlanProtocol != "" {
		proto = fmt.Sprintf(`,"protocol":%q`, vlanProtocol)
	}
	return fmt.Sprintf(`{"apiVersion":"netclaim.dev/v1alpha1","kind":"NetworkConfig",
		"interface":{"name":%q,"mtu":1400,"mac":%q},
		"addresses":["192.0.2.10/24","2001:db8::10/64"],
		"routes":[{"destination":"198.51.100.0/24","gateway":"192.0.2.1"}],
		"vlan":{"id":100,"qos":3%s},
		"sriov":{"spoofCheck":false,"trust":true,"maxTxRateMbps":100}}`, ifName, podMAC, proto)
}

// igbVFInPod is the pod's view of the VF igbVFConfig configures.
func igbVFInPod(ifName string) netnstest.LinkState {
	return netnstest.LinkState{
		Name: ifName, MTU: 1400, MAC: podMAC, Up: true,
		Addresses: []string{"192.0.2.10/24", "2001:db8::10/64"},
		Routes:    []string{"198.51.100.0/24 via 192.0.2.1"},
	}
}

// withIGBVFSettings is the PF's entry for the VF once igbVFConfig is applied.
func withIGBVFSettings(e vfEntry) vfEntry {
	e.MAC, e.VLAN, e.QoS, e.VLANProto = podMAC, 100, 3, 0x8100
	e.SpoofCheck, e.Trust, e.MaxTxRate = false, 1, 100
	return e
}

// requireVFInPod reads the pod's interface back and checks it is the VF (by PCI address),
// configured as want, and that the PF carries the VF settings.
func (n *vmNode) requireVFInPod(pod *netnstest.Netns, vf vmtest.VF, want netnstest.LinkState, entry vfEntry) {
	n.t.Helper()
	n.reads.RequireState(pod.Handle, want.Name, want)
	if l, err := pod.Handle.LinkByName(want.Name); err == nil && l.Attrs().ParentDev != vf.PCIAddress {
		n.t.Errorf("%s in the pod is PCI device %q, want %v", want.Name, l.Attrs().ParentDev, vf)
	}
	if diff := cmp.Diff(entry, n.vfEntry(vf.Index)); diff != "" {
		n.t.Errorf("PF %s's entry for VF %d while the pod runs (-want +got):\n%s", n.pf.IfName, vf.Index, diff)
	}
}

func TestVM_Lifecycle_IGBVFWithSettings(t *testing.T) {
	n := newVMNode(t, 2)
	vf := n.vfs[1] // not VF 0: the PF's VF index must come from discovery
	device := n.publishedDevice(vf)
	described, _ := n.inv.Lookup(device)
	before := n.hostVF(vf)
	claim := claimFor(device, igbVFConfig("sig0", ""))

	n.mustPrepare(claim)
	// Prepare decides; it must not touch the VF or the PF.
	n.requireHostVF(vf, "after prepare", before)

	_, ctx := ktesting.NewTestContext(t)
	pod := newVMPod(t)
	if err := n.nri.RunPodSandbox(ctx, sandbox("sb-1", "pod-uid-1", pod.Path)); err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	n.requireVFInPod(pod, vf, igbVFInPod("sig0"), withIGBVFSettings(before.Entry))
	if _, err := n.hostNL.LinkByName(before.Netdev.Name); err == nil {
		t.Errorf("%s is still on the host while the pod has the VF", before.Netdev.Name)
	}
	// The publisher keeps rescanning: the VF in the pod stays published as it was.
	if _, ok := n.rescan()[device]; !ok {
		t.Errorf("rescan while the VF is in the pod withdrew device %s", device)
	}
	if got, _ := n.inv.Lookup(device); !cmp.Equal(described, got) {
		t.Errorf("inventory entry of %s while in the pod (-before +now):\n%s", device, cmp.Diff(described, got))
	}

	n.mustStop()
	n.requireHostVF(vf, "after StopPodSandbox", before)
	n.reads.RequireLinks(pod.Handle, "pod netns after StopPodSandbox", "lo")

	n.mustUnprepare(claim)
	n.requireHostVF(vf, "after unprepare", before)
	n.requireNoClaimLeft()
}

// The runtime deletes the pod netns before StopPodSandbox reaches the plugin: the kernel
// returns the VF to the initial netns with its pod settings, and renames it devN since its
// pod name is taken there (the pod named it after the other VF's host netdev).
func TestVM_Lifecycle_IGBVFNetnsDeletedBeforeStop(t *testing.T) {
	n := newVMNode(t, 2)
	vf := n.vfs[1]
	device := n.publishedDevice(vf)
	before := n.hostVF(vf)
	podName := n.vfs[0].IfName
	claim := claimFor(device, igbVFConfig(podName, ""))
	n.mustPrepare(claim)
	_, ctx := ktesting.NewTestContext(t)
	pod := newVMPod(t)
	if err := n.nri.RunPodSandbox(ctx, sandbox("sb-1", "pod-uid-1", pod.Path)); err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	n.requireVFInPod(pod, vf, igbVFInPod(podName), withIGBVFSettings(before.Entry))

	pod.Delete()
	returned := vmtest.WaitNetdev(t, vf.PCIAddress)
	if !strings.HasPrefix(returned, "dev") {
		t.Errorf("%v came back from the deleted netns as %q, want the kernel's devN name", vf, returned)
	}
	if got := n.reads.State(n.hostNL, returned); got.MTU != 1400 || got.MAC != podMAC {
		t.Errorf("%v came back as %s with MTU %d MAC %s, want the pod's 1400 %s", vf, returned, got.MTU, got.MAC, podMAC)
	}

	n.mustStop()
	n.requireHostVF(vf, "after StopPodSandbox", before)
	n.mustUnprepare(claim)
	n.requireHostVF(vf, "after unprepare", before)
	n.requireNoClaimLeft()
}

// sriov.driver: vfio-pci hands the VF to DPDK: prepare rebinds it and the CDI spec gives
// the container the VFIO device nodes; the sandbox hooks have no netdev to move. Unbinding
// igbvf destroys the VF's netdev and binding it back creates a new one (the kernel's next
// free name, a new random MAC, MTU 1500, down): unprepare must give that one the name,
// MTU, MAC and up state the VF's netdev had before prepare, each set here to something
// the new netdev would not have by chance.
func TestVM_Lifecycle_IGBVFToVFIOForDPDK(t *testing.T) {
	n := newVMNode(t, 2)
	vmtest.RequireModule(t, vmtest.VFIODriver)
	vf := n.vfs[1]
	want := netnstest.LinkState{Name: "dpdkvf1", MTU: 1400, MAC: "02:00:00:00:dd:01", Up: true}
	n.configureVFNetdev(vf, want)
	device := n.publishedDevice(vf)
	before := n.hostVF(vf)
	if diff := cmp.Diff(want, before.Netdev); diff != "" {
		t.Fatalf("%v before prepare (-want +got):\n%s", vf, diff)
	}
	claim := claimFor(device, `{"apiVersion":"netclaim.dev/v1alpha1","kind":"NetworkConfig","sriov":{"driver":"vfio-pci"}}`)
	group := iommuGroupDevice(t, vf)

	n.mustPrepare(claim)
	requireBinding(t, vf, vmtest.VFIODriver)
	if _, err := os.Stat(filepath.Join("/sys/bus/pci/devices", vf.PCIAddress, "net")); !os.IsNotExist(err) {
		t.Errorf("%v on vfio-pci still has a netdev (stat net/: %v)", vf, err)
	}
	if diff := cmp.Diff([]string{"/dev/vfio/vfio", group}, cdiDeviceNodes(t, n.cdiDir)); diff != "" {
		t.Errorf("device nodes in the CDI spec (-want +got):\n%s", diff)
	}
	for _, node := range []string{"/dev/vfio/vfio", group} {
		if _, err := os.Stat(node); err != nil {
			t.Errorf("CDI device node %s does not exist on the host: %v", node, err)
		}
	}

	_, ctx := ktesting.NewTestContext(t)
	pod := newVMPod(t)
	if err := n.nri.RunPodSandbox(ctx, sandbox("sb-1", "pod-uid-1", pod.Path)); err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	requireBinding(t, vf, vmtest.VFIODriver)
	n.reads.RequireLinks(pod.Handle, "pod netns of a vfio-pci claim", "lo")

	n.mustStop()
	n.mustUnprepare(claim)
	requireBinding(t, vf, vmtest.IGBVFDriver)
	if b, err := os.ReadFile(filepath.Join("/sys/bus/pci/devices", vf.PCIAddress, "driver_override")); err != nil || strings.TrimSpace(string(b)) != "(null)" {
		t.Errorf("driver_override of %v after unprepare: %q (%v), want it cleared", vf, b, err)
	}
	n.requireHostVF(vf, "after unprepare", before)
	n.requireNoClaimLeft()
}

// A DPDK VF gets its hardware VLAN, administrative MAC, spoof checking and trust from
// the PF at prepare (it has no netdev for attach to go through), and unprepare puts the
// PF's entry back as well as the VF's driver and netdev.
func TestVM_Lifecycle_IGBVFToVFIOWithVLANAndMAC(t *testing.T) {
	n := newVMNode(t, 2)
	vmtest.RequireModule(t, vmtest.VFIODriver)
	vf := n.vfs[1]
	n.configureVFNetdev(vf, netnstest.LinkState{Name: "dpdkvf1", MTU: 1400, MAC: "02:00:00:00:dd:01", Up: true})
	device := n.publishedDevice(vf)
	before := n.hostVF(vf)
	claim := claimFor(device, fmt.Sprintf(`{"apiVersion":"netclaim.dev/v1alpha1","kind":"NetworkConfig",
		"interface":{"mac":%q},"vlan":{"id":100,"qos":2},
		"sriov":{"driver":"vfio-pci","spoofCheck":false,"trust":true}}`, podMAC))

	n.mustPrepare(claim)

	requireBinding(t, vf, vmtest.VFIODriver)
	want := before.Entry
	want.MAC, want.VLAN, want.QoS, want.VLANProto, want.SpoofCheck, want.Trust = podMAC, 100, 2, 0x8100, false, 1
	if diff := cmp.Diff(want, n.vfEntry(vf.Index)); diff != "" {
		t.Errorf("PF %s's entry for %v after prepare (-want +got):\n%s", n.pf.IfName, vf, diff)
	}

	n.mustUnprepare(claim)

	requireBinding(t, vf, vmtest.IGBVFDriver)
	n.requireHostVF(vf, "after unprepare", before)
	n.requireNoClaimLeft()
}

// configureVFNetdev gives the VF's netdev want's name, MTU, MAC (set from the VF's side,
// so the PF pins none) and up state.
func (n *vmNode) configureVFNetdev(vf vmtest.VF, want netnstest.LinkState) {
	n.t.Helper()
	link, err := n.hostNL.LinkByName(vf.IfName)
	if err != nil {
		n.t.Fatalf("reading %v: %v", vf, err)
	}
	mac, err := net.ParseMAC(want.MAC)
	if err != nil {
		n.t.Fatal(err)
	}
	// Down first: the kernel refuses to rename an up device.
	steps := []struct {
		what string
		set  func() error
	}{
		{"down", func() error { return n.hostNL.LinkSetDown(link) }},
		{"name " + want.Name, func() error { return n.hostNL.LinkSetName(link, want.Name) }},
		{fmt.Sprintf("MTU %d", want.MTU), func() error { return n.hostNL.LinkSetMTU(link, want.MTU) }},
		{"MAC " + want.MAC, func() error { return n.hostNL.LinkSetHardwareAddr(link, mac) }},
		{"up", func() error { return n.hostNL.LinkSetUp(link) }},
	}
	for _, s := range steps {
		if err := s.set(); err != nil {
			n.t.Fatalf("setting %v's netdev %s: %v", vf, s.what, err)
		}
	}
}

// igb refuses an 802.1ad VF VLAN. The attach fails after it made the MAC and trust
// settings; the sandbox must fail with a message that names the setting and the PF's
// driver, and leave the VF and the PF's entry as they were.
func TestVM_Lifecycle_IGBRefusedSettingLeavesHostUntouched(t *testing.T) {
	n := newVMNode(t, 2)
	vf := n.vfs[1]
	device := n.publishedDevice(vf)
	before := n.hostVF(vf)
	claim := claimFor(device, igbVFConfig("sig0", "802.1ad"))
	n.mustPrepare(claim)
	_, ctx := ktesting.NewTestContext(t)
	pod := newVMPod(t)

	err := n.nri.RunPodSandbox(ctx, sandbox("sb-1", "pod-uid-1", pod.Path))

	netnstest.RequireErrorContains(t, err, "PF "+n.pf.IfName, "driver igb", "vlan 100", "802.1ad")
	t.Logf("RunPodSandbox: %v", err)
	n.requireHostVF(vf, "after the refused RunPodSandbox", before)
	n.reads.RequireLinks(pod.Handle, "pod netns after the refused RunPodSandbox", "lo")
	// Still prepared, and not attached: kubelet's retry of the sandbox starts over.
	stored, err := checkpoint.Inspect(n.checkpointPath())
	if err != nil || len(stored) != 1 || stored[0].Attachment != nil {
		t.Errorf("checkpoint after the refused RunPodSandbox: %+v (%v), want the claim prepared and not attached", stored, err)
	}

	n.mustStop()
	n.mustUnprepare(claim)
	n.requireHostVF(vf, "after unprepare", before)
	n.requireNoClaimLeft()
}

// iommuGroupDevice is the VFIO group device vfio-pci creates for the VF.
func iommuGroupDevice(t *testing.T, vf vmtest.VF) string {
	t.Helper()
	target, err := os.Readlink(filepath.Join("/sys/bus/pci/devices", vf.PCIAddress, "iommu_group"))
	if err != nil {
		t.Fatalf("IOMMU group of %v: %v", vf, err)
	}
	return "/dev/vfio/" + filepath.Base(target)
}

// requireBinding checks the driver the kernel bound to the VF.
func requireBinding(t *testing.T, vf vmtest.VF, want string) {
	t.Helper()
	target, err := os.Readlink(filepath.Join("/sys/bus/pci/devices", vf.PCIAddress, "driver"))
	if err != nil {
		t.Fatalf("%v has no driver, want %s: %v", vf, want, err)
	}
	if got := filepath.Base(target); got != want {
		t.Errorf("%v is bound to %s, want %s", vf, got, want)
	}
}

// cdiDeviceNodes reads the only CDI spec in dir and returns its device nodes' paths.
func cdiDeviceNodes(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) != 1 {
		t.Fatalf("CDI specs in %s: %v (%v), want one", dir, files, err)
	}
	spec, err := cdi.ReadSpec(files[0], 0)
	if err != nil {
		t.Fatalf("reading CDI spec %s: %v", files[0], err)
	}
	var nodes []string
	for _, d := range spec.Devices {
		for _, node := range d.ContainerEdits.DeviceNodes {
			nodes = append(nodes, node.Path)
		}
	}
	return nodes
}
