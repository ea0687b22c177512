package vmtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/vishvananda/netlink"
)

// Up sets the PF's netdev up, waits for its carrier (igb resets the
// hardware on open and negotiates the link afterwards), and registers a
// cleanup that sets it down again. IGB leaves the PF down, which igb VFs
// survive (they bind, move, rename and take addresses) but without a
// carrier, and VF settings that need the PF's link (max tx rate) fail.
// Whether the PF is up or not, igbvf gives each new VF a random MAC: enabling
// SR-IOV resets the PF, and the VFs probe while it is "still in reset".
func (pf PF) Up(t testing.TB) {
	t.Helper()
	InVM(t)
	link, err := netlink.LinkByName(pf.IfName)
	if err != nil {
		t.Fatalf("reading PF %s: %v", pf.IfName, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		t.Fatalf("setting PF %s up: %v", pf.IfName, err)
	}
	t.Cleanup(func() {
		if err := netlink.LinkSetDown(link); err != nil {
			t.Errorf("cleanup: setting PF %s down: %v", pf.IfName, err)
		}
	})
	carrier := filepath.Join("/sys/class/net", pf.IfName, "carrier")
	waitFor(t, "PF "+pf.IfName+" to get a carrier", func() error {
		v, err := readSysfs(carrier)
		if err == nil && v != "1" {
			err = fmt.Errorf("carrier %s", v)
		}
		return err
	})
}

// WaitNetdev waits until the PCI function at pciAddress has a netdev in the
// VM's initial network namespace and returns its name. Use it after deleting
// a namespace that held a VF: the kernel moves the VF back asynchronously,
// renamed devN when its name is taken in the initial namespace. (/sys is
// mounted in the initial namespace, and sysfs only shows a device's netdevs
// that live in the namespace of the mount.)
func WaitNetdev(t testing.TB, pciAddress string) string {
	t.Helper()
	InVM(t)
	dir := filepath.Join(pciDevicesDir, pciAddress)
	var name string
	waitFor(t, fmt.Sprintf("%s to have a netdev in the initial netns", pciAddress), func() error {
		var err error
		name, err = onlyNetdev(dir)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s has no net/ folder: its netdev is in another netns or its driver has none", pciAddress)
		}
		return err
	})
	return name
}
