//go:build vmtest

package netdev

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
	"github.com/netclaim/netclaim/test/vmtest"
)

// igbPodSpec is what the VM tests attach a real igb VF as: renamed, a smaller
// MTU, an IPv4 and an IPv6 address and a route via a gateway.
func igbPodSpec(vf vmtest.VF, target plan.Interface) plan.Device {
	return plan.Device{
		Host:      plan.HostLink{Name: vf.IfName, PCIAddress: vf.PCIAddress},
		Target:    target,
		Addresses: []string{"192.0.2.10/24", "2001:db8:1::10/64"},
		Routes:    []plan.Route{{Destination: "198.51.100.0/24", Gateway: "192.0.2.1"}},
	}
}

// igbPodState is the state igbPodSpec must give the VF in the pod.
func igbPodState(name string, mtu int, mac string) netnstest.LinkState {
	return netnstest.LinkState{
		Name: name, MTU: mtu, MAC: mac, Up: true,
		Addresses: []string{"192.0.2.10/24", "2001:db8:1::10/64"},
		Routes:    []string{"198.51.100.0/24 via 192.0.2.1"},
	}
}

// TestVM_AttachDetach_IGBVFConfiguredInPodAndRestoredOnHost moves a real VF
// (igbvf) into a pod netns, reads its configuration back inside the netns,
// and checks Detach gives the host the VF exactly as it was: name, MTU, MAC,
// up, no addresses.
func TestVM_AttachDetach_IGBVFConfiguredInPodAndRestoredOnHost(t *testing.T) {
	vm := newIGBTestbed(t)
	spec := igbPodSpec(vm.vf, plan.Interface{Name: "net1", MTU: 1400})
	before := vm.hostState(vm.vf.IfName)

	orig := vm.snapshot(spec.Host)
	if err := vm.host.Attach(context.Background(), spec, vm.pod.Path); err != nil {
		t.Fatalf("Attach %v: %v", vm.vf, err)
	}
	vm.tb.RequireState(vm.pod.Handle, "net1", igbPodState("net1", 1400, before.MAC))
	if _, err := netlink.LinkByName(vm.vf.IfName); err == nil {
		t.Errorf("%v is still on the host after Attach", vm.vf)
	}

	if err := vm.host.Detach(context.Background(), spec, orig, vm.pod.Path); err != nil {
		t.Fatalf("Detach %v: %v", vm.vf, err)
	}
	vm.tb.RequireState(vm.hostHandle, vm.vf.IfName, before)
	vm.tb.RequireLinks(vm.pod.Handle, "pod netns after Detach", "lo")
}

// TestVM_Detach_RestoresIGBVFReturnedFromDeletedNetns deletes the pod netns
// before Detach, as a runtime does when StopPodSandbox comes late: the kernel
// returns the VF (a physical device, unlike a veth) to the initial netns,
// under a devN name because its pod name (the PF's) is taken there and still
// with its pod MTU. Detach must find it by PCI address and restore it.
func TestVM_Detach_RestoresIGBVFReturnedFromDeletedNetns(t *testing.T) {
	vm := newIGBTestbed(t)
	// Naming the VF after the PF in the pod makes its way back collide.
	spec := igbPodSpec(vm.vf, plan.Interface{Name: vm.pf.IfName, MTU: 1400})
	before := vm.hostState(vm.vf.IfName)

	orig := vm.snapshot(spec.Host)
	if err := vm.host.Attach(context.Background(), spec, vm.pod.Path); err != nil {
		t.Fatalf("Attach %v: %v", vm.vf, err)
	}
	vm.pod.Delete()
	returned := vmtest.WaitNetdev(t, vm.vf.PCIAddress)
	if !strings.HasPrefix(returned, "dev") {
		t.Errorf("%v came back from the deleted netns as %q, want the kernel's devN name", vm.vf, returned)
	}
	if got := vm.hostState(returned).MTU; got != 1400 {
		t.Errorf("%v came back as %s with MTU %d, want the pod's 1400", vm.vf, returned, got)
	}

	for i := range 2 {
		if err := vm.host.Detach(context.Background(), spec, orig, vm.pod.Path); err != nil {
			t.Fatalf("Detach #%d after the pod netns was deleted: %v", i+1, err)
		}
		vm.tb.RequireState(vm.hostHandle, vm.vf.IfName, before)
	}
}

// igbTestbed is one igb VF, up on the VM's host netns, a pod netns to attach
// it to, and a Host on the initial netns, as the plugin opens it.
type igbTestbed struct {
	t          *testing.T
	tb         *netnstest.Testbed // for its read-back helpers only
	pf         vmtest.PF
	vf         vmtest.VF
	host       *Host
	hostHandle *netlink.Handle
	pod        *netnstest.Netns
}

func newIGBTestbed(t *testing.T) *igbTestbed {
	t.Helper()
	pf := vmtest.IGB(t)
	pf.Up(t)
	vf := pf.VFs(t, 1)[0]
	// The VF is up before Attach so that Detach has an up state to restore.
	link, err := netlink.LinkByName(vf.IfName)
	if err != nil {
		t.Fatalf("reading %v: %v", vf, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		t.Fatalf("setting %v up: %v", vf, err)
	}
	hostHandle, err := netlink.NewHandle()
	if err != nil {
		t.Fatalf("netlink handle in the initial netns: %v", err)
	}
	t.Cleanup(hostHandle.Close)
	host, err := OpenHost()
	if err != nil {
		t.Fatalf("OpenHost: %v", err)
	}
	t.Cleanup(func() {
		if err := host.Close(); err != nil {
			t.Errorf("closing host: %v", err)
		}
	})
	pod := netnstest.NewNamedNetns(t, netnstest.NamePrefix+"vmpod-"+netnstest.RandomSuffix(t))
	return &igbTestbed{t: t, tb: &netnstest.Testbed{T: t}, pf: pf, vf: vf, host: host, hostHandle: hostHandle, pod: pod}
}

func (vm *igbTestbed) snapshot(ref plan.HostLink) plan.Original {
	vm.t.Helper()
	orig, err := vm.host.Snapshot(ref)
	if err != nil {
		vm.t.Fatalf("Snapshot %v: %v", vm.vf, err)
	}
	if orig.HardwareAddr == "" || orig.HardwareAddr == (net.HardwareAddr{0, 0, 0, 0, 0, 0}).String() {
		vm.t.Fatalf("Snapshot %v: no MAC (%+v); the test could not tell a restored MAC", vm.vf, orig)
	}
	return orig
}

func (vm *igbTestbed) hostState(name string) netnstest.LinkState {
	vm.t.Helper()
	return vm.tb.State(vm.hostHandle, name)
}
