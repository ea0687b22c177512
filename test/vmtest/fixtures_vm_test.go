//go:build vmtest

package vmtest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vishvananda/netlink"
)

// TestVM_ModulesLoadAndWork proves the initramfs ships working modules for
// the link kinds the host kernel lacks: each test creates one such link,
// which only succeeds if the module loaded into this kernel, and reads it
// back from the kernel.
func TestVM_ModulesLoadAndWork(t *testing.T) {
	InVM(t)
	RequireModule(t, "dummy")
	RequireModule(t, "8021q")

	parent := &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "vmt-dummy0"}}
	addLink(t, parent)
	vlan := &netlink.Vlan{
		LinkAttrs:    netlink.LinkAttrs{Name: "vmt-dummy0.42", ParentIndex: linkByName(t, parent.Name).Attrs().Index},
		VlanId:       42,
		VlanProtocol: netlink.VLAN_PROTOCOL_8021Q,
	}
	addLink(t, vlan)

	if got := linkByName(t, parent.Name).Type(); got != "dummy" {
		t.Errorf("%s: link type %q, want dummy", parent.Name, got)
	}
	got, ok := linkByName(t, vlan.Name).(*netlink.Vlan)
	if !ok {
		t.Fatalf("%s: read back as %T, want *netlink.Vlan", vlan.Name, linkByName(t, vlan.Name))
	}
	if got.VlanId != 42 || got.VlanProtocol != netlink.VLAN_PROTOCOL_8021Q {
		t.Errorf("%s: VLAN id %d protocol %v, want 42 802.1Q", vlan.Name, got.VlanId, got.VlanProtocol)
	}
}

// TestVM_IGBHasVFs proves the emulated SR-IOV NIC works: two VFs get bound to
// igbvf, each with its own netdev, and the PF's netlink VF list has both.
func TestVM_IGBHasVFs(t *testing.T) {
	pf := IGB(t)
	vfs := pf.VFs(t, 2)
	for i, vf := range vfs {
		if vf.Index != i || vf.PCIAddress == "" || vf.IfName == "" {
			t.Errorf("VF %d: got %v, want index %d with a PCI address and a netdev", i, vf, i)
		}
		t.Logf("PF %s (%s): %v", pf.IfName, pf.PCIAddress, vf)
	}
	if got := len(linkByName(t, pf.IfName).Attrs().Vfs); got != 2 {
		t.Errorf("PF %s: netlink lists %d VFs, want 2", pf.IfName, got)
	}
}

// TestVM_NetdevsimHasVFs proves the out-of-tree netdevsim.ko loads into the
// stock kernel and its VFs are configurable through the PF.
func TestVM_NetdevsimHasVFs(t *testing.T) {
	pf := Netdevsim(t, 1, 4)
	if got := len(linkByName(t, pf.IfName).Attrs().Vfs); got != 4 {
		t.Errorf("netdevsim PF %s: netlink lists %d VFs, want 4", pf.IfName, got)
	}
}

func addLink(t *testing.T, l netlink.Link) {
	t.Helper()
	if err := netlink.LinkAdd(l); err != nil {
		t.Fatalf("creating %s %s: %v", l.Type(), l.Attrs().Name, err)
	}
	t.Cleanup(func() {
		if err := netlink.LinkDel(l); err != nil {
			t.Errorf("cleanup: deleting %s: %v", l.Attrs().Name, err)
		}
	})
}

func linkByName(t *testing.T, name string) netlink.Link {
	t.Helper()
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatalf("reading link %s back: %v", name, err)
	}
	return l
}

// TestVM_VFBindsToVFIO proves the VM's IOMMU works for VFs: a VF has its own
// IOMMU group, vfio-pci takes it and creates the group device, and the VF
// goes back to igbvf with a netdev afterwards.
func TestVM_VFBindsToVFIO(t *testing.T) {
	pf := IGB(t)
	vfs := pf.VFs(t, 2)
	t.Run("bind", func(t *testing.T) {
		group := BindVFIO(t, vfs[1])
		if _, err := os.Stat(group); err != nil {
			t.Errorf("VFIO group device of %v: %v", vfs[1], err)
		}
		if _, err := os.Stat(filepath.Join(pciDevicesDir, vfs[1].PCIAddress, "net")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v bound to vfio-pci still has a net/ folder (err %v)", vfs[1], err)
		}
	})
	// The subtest's cleanup gave the VF back to igbvf.
	back := waitVF(t, pf, 1)
	t.Logf("after vfio-pci: %v", back)
}
