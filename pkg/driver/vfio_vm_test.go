//go:build vmtest

package driver

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/klog/v2/ktesting"
	"tags.cncf.io/container-device-interface/pkg/cdi"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/pcibind"
	pt "github.com/netclaim/netclaim/pkg/pcibind/pcibindtest"
	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/vmtest"
)

// vmNetdev is the VF's netdev before prepare: a name, MTU and MAC (set from the VF's
// side, so the PF pins none) that the netdev igbvf creates when it gets the VF back does
// not have by chance, and up.
var vmNetdev = plan.Original{Name: "dpdkvf0", MTU: 1400, HardwareAddr: "02:00:00:00:dd:02", Up: true}

// vmVFIOFixture is a driver on the VM's live sysfs with one igb VF on igbvf, found by
// discovery as the plugin would find it.
type vmVFIOFixture struct {
	*fixture
	vf     vmtest.VF
	device string
	// writes records the driver's sysfs writes; crashAfter >= 0 panics with pt.ErrCrash
	// instead of the write after that many.
	writes     []pt.Write
	crashAfter int
}

func newVMVFIOFixture(t *testing.T) *vmVFIOFixture {
	t.Helper()
	pf := vmtest.IGB(t)
	vf := pf.VFs(t, 1)[0]
	vmtest.RequireModule(t, vfioPCI)
	_, ctx := ktesting.NewTestContext(t)
	devices, err := inventory.Discover(ctx, inventory.Options{})
	if err != nil {
		t.Fatalf("Discover on the VM: %v", err)
	}
	name, err := inventory.PCIDeviceName(vf.PCIAddress)
	if err != nil {
		t.Fatal(err)
	}
	v := &vmVFIOFixture{fixture: unstartedFixture(t, devices...), vf: vf, device: name, crashAfter: -1}
	if _, ok := v.inventory[name]; !ok {
		t.Fatalf("discovery did not publish %v as %s", vf, name)
	}
	// The plugin's keeper: the netdev.Host of the VM's initial netns.
	host, err := netdev.OpenHost()
	if err != nil {
		t.Fatalf("OpenHost: %v", err)
	}
	t.Cleanup(func() {
		if err := host.Close(); err != nil {
			t.Errorf("closing host: %v", err)
		}
	})
	v.netdevs = host
	// The live binder, its writes recorded; the kernel still does the work.
	v.pci = pcibind.NewWithWriter("/sys", v.recordWrite, pcibind.DefaultNetdevWait)
	v.start(t)
	configureNetdev(t, vf, vmNetdev)
	// Whatever a failed test leaves, the VF must go back to igbvf before the VF fixture
	// removes it (cleanups run last registered first).
	t.Cleanup(func() {
		if err := pcibind.New("/").Restore(vf.PCIAddress, pt.OnIGBVF); err != nil {
			t.Errorf("cleanup: giving %v back to igbvf: %v", vf, err)
		}
	})
	return v
}

// recordWrite records a sysfs write of the driver and makes it; crashAfter >= 0 dies
// instead of the write after that many.
func (v *vmVFIOFixture) recordWrite(path, value string) error {
	if v.crashAfter >= 0 && len(v.writes) == v.crashAfter {
		panic(pt.ErrCrash)
	}
	rel, _ := filepath.Rel("/sys", path)
	v.writes = append(v.writes, pt.Write{Path: rel, Value: value})
	return pcibind.WriteAttribute(path, value)
}

func (v *vmVFIOFixture) takeWrites() []pt.Write {
	w := v.writes
	v.writes = nil
	return w
}

func (v *vmVFIOFixture) claim(t *testing.T) *resourceapi.ResourceClaim {
	return dpdkClaim(t, "dpdk", v.device)
}

// requireOnVFIO checks the kernel's view: vfio-pci holds the VF, which has no netdev,
// and its group's character device exists; it returns that device.
func (v *vmVFIOFixture) requireOnVFIO(t *testing.T) string {
	t.Helper()
	pt.RequireBinding(t, v.driver.pci, v.vf.PCIAddress, pt.OnVFIO)
	dir := filepath.Join("/sys/bus/pci/devices", v.vf.PCIAddress)
	if _, err := os.Stat(filepath.Join(dir, "net")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%v on vfio-pci still has a net/ folder (%v)", v.vf, err)
	}
	group, err := v.driver.pci.GroupDevice(v.vf.PCIAddress)
	if err != nil {
		t.Fatal(err)
	}
	requireCharDevice(t, group)
	return group
}

// requireOnIGBVF checks that the VF is back on igbvf, override cleared, with a netdev.
func (v *vmVFIOFixture) requireOnIGBVF(t *testing.T) {
	t.Helper()
	pt.RequireBinding(t, v.driver.pci, v.vf.PCIAddress, pt.OnIGBVF)
	t.Logf("%v is back on igbvf as %s", v.vf, vmtest.WaitNetdev(t, v.vf.PCIAddress))
}

// requireNetdevRestored checks, with netlink, that the VF's netdev is back as it was
// before prepare.
func (v *vmVFIOFixture) requireNetdevRestored(t *testing.T) {
	t.Helper()
	name := vmtest.WaitNetdev(t, v.vf.PCIAddress)
	link, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	a := link.Attrs()
	got := plan.Original{Name: a.Name, MTU: a.MTU, HardwareAddr: a.HardwareAddr.String(), Up: a.Flags&unix.IFF_UP != 0}
	if diff := cmp.Diff(vmNetdev, got); diff != "" {
		t.Errorf("netdev of %v after unprepare (-before prepare +now):\n%s", v.vf, diff)
	}
}

// configureNetdev gives the VF's netdev want's name, MTU, MAC and up state.
func configureNetdev(t *testing.T, vf vmtest.VF, want plan.Original) {
	t.Helper()
	link, err := netlink.LinkByName(vf.IfName)
	if err != nil {
		t.Fatalf("reading %v: %v", vf, err)
	}
	mac, err := net.ParseMAC(want.HardwareAddr)
	if err != nil {
		t.Fatal(err)
	}
	// Down first: the kernel refuses to rename an up device.
	for _, step := range []struct {
		what string
		set  func() error
	}{
		{"down", func() error { return netlink.LinkSetDown(link) }},
		{"name " + want.Name, func() error { return netlink.LinkSetName(link, want.Name) }},
		{"MTU", func() error { return netlink.LinkSetMTU(link, want.MTU) }},
		{"MAC " + want.HardwareAddr, func() error { return netlink.LinkSetHardwareAddr(link, mac) }},
		{"up", func() error { return netlink.LinkSetUp(link) }},
	} {
		if err := step.set(); err != nil {
			t.Fatalf("setting %v's netdev %s: %v", vf, step.what, err)
		}
	}
}

func requireCharDevice(t *testing.T, path string) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR {
		t.Fatalf("%s is not a character device (mode %o)", path, st.Mode)
	}
}

// TestVM_VFIOBindsRealVFAndRestoresIt runs prepare and unprepare of a claim with
// sriov.driver: vfio-pci against the real kernel: the exact sysfs writes, the kernel's
// binding after each, and the CDI spec's device nodes existing on the host.
func TestVM_VFIOBindsRealVFAndRestoresIt(t *testing.T) {
	v := newVMVFIOFixture(t)
	addr := v.vf.PCIAddress
	claim := v.claim(t)

	v.mustPrepare(t, claim)

	want := []pt.Write{pt.Override(addr, vfioPCI), pt.Unbind("igbvf", addr), pt.Probe(addr)}
	if diff := cmp.Diff(want, v.takeWrites()); diff != "" {
		t.Errorf("sysfs writes of prepare (-want +got):\n%s", diff)
	}
	group := v.requireOnVFIO(t)
	t.Logf("%v on vfio-pci, group device %s", v.vf, group)
	got := v.checkpointed(t)["uid-dpdk"]
	if diff := cmp.Diff(&plan.VFIO{GroupDevice: group, Rebind: &pt.OnIGBVF, Netdev: &vmNetdev}, got.Devices[0].VFIO); diff != "" {
		t.Errorf("checkpointed VFIO plan (-want +got):\n%s", diff)
	}
	spec, err := cdi.ReadSpec(filepath.Join(v.cdiDir, specFile("dpdk")), 0)
	if err != nil {
		t.Fatal(err)
	}
	var nodes []string
	for _, n := range spec.Devices[0].ContainerEdits.DeviceNodes {
		nodes = append(nodes, n.Path)
		requireCharDevice(t, n.Path) // the runtime stats them when it creates the container
	}
	if diff := cmp.Diff([]string{"/dev/vfio/vfio", group}, nodes); diff != "" {
		t.Errorf("CDI device nodes (-want +got):\n%s", diff)
	}

	if err := v.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatalf("unprepare: %v", err)
	}
	want = []pt.Write{pt.Override(addr, "\n"), pt.Unbind(vfioPCI, addr), pt.Bind("igbvf", addr)}
	if diff := cmp.Diff(want, v.takeWrites()); diff != "" {
		t.Errorf("sysfs writes of unprepare (-want +got):\n%s", diff)
	}
	v.requireOnIGBVF(t)
	v.requireNetdevRestored(t)
}

// TestVM_VFIOPrepareConvergesAfterCrashBetweenUnbindAndProbe kills prepare where the
// real VF is left without any driver (override set, unbound), then lets kubelet's retry
// finish it, and a second time lets unprepare restore it instead.
func TestVM_VFIOPrepareConvergesAfterCrashBetweenUnbindAndProbe(t *testing.T) {
	for _, next := range []string{"prepare", "unprepare"} {
		t.Run("then "+next, func(t *testing.T) {
			v := newVMVFIOFixture(t)
			addr := v.vf.PCIAddress
			claim := v.claim(t)
			v.crashAfter = 2
			crashing(t, "prepare", func() {
				_, ctx := ktesting.NewTestContext(t)
				_, _ = v.driver.PrepareResourceClaims(ctx, []*resourceapi.ResourceClaim{claim})
			})
			pt.RequireBinding(t, v.driver.pci, addr, plan.Binding{DriverOverride: vfioPCI})
			v.crashAfter = -1
			v.start(t)
			v.takeWrites()

			if next == "prepare" {
				v.mustPrepare(t, claim)
				if diff := cmp.Diff([]pt.Write{pt.Probe(addr)}, v.takeWrites()); diff != "" {
					t.Errorf("sysfs writes of the retried prepare (-want +got):\n%s", diff)
				}
				v.requireOnVFIO(t)
			}
			if err := v.unprepare(t, claim)[claim.UID]; err != nil {
				t.Fatalf("unprepare: %v", err)
			}
			v.requireOnIGBVF(t)
			v.requireNetdevRestored(t)
			if c := v.checkpointed(t); len(c) != 0 {
				t.Errorf("checkpoint after unprepare: %v", c)
			}
		})
	}
}

// TestVM_VFIOBindFailureIsClearAndRestoresVF makes the real vfio-pci probe fail: with
// driver_override naming a driver that does not exist, drivers_probe binds nothing and
// still reports success, which only the driver-link check catches. Then the VF must be
// back on igbvf. (The VM has an IOMMU, so vfio-pci itself does not refuse a VF here; the
// no-IOMMU refusal is checked before any write, see pcibind.TestBinder_CheckVFIOReady.)
func TestVM_VFIOBindFailureIsClearAndRestoresVF(t *testing.T) {
	v := newVMVFIOFixture(t)
	addr := v.vf.PCIAddress

	err := v.driver.pci.Bind(addr, "netclaim-no-such-driver")

	if err == nil || !strings.Contains(err.Error(), "netclaim-no-such-driver did not take PCI device "+addr+" (it has no driver)") {
		t.Fatalf("Bind to a driver that does not exist: err = %v, want the driver-link check's error", err)
	}
	t.Logf("error: %v", err)
	pt.RequireBinding(t, v.driver.pci, addr, plan.Binding{DriverOverride: "netclaim-no-such-driver"})
	if err := v.driver.pci.Restore(addr, pt.OnIGBVF); err != nil {
		t.Fatalf("restore: %v", err)
	}
	v.requireOnIGBVF(t)
}
