package driver

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/inventory"
)

// sysfsWrite is one attribute write, its path relative to the sysfs folder.
type sysfsWrite struct{ Path, Value string }

// errCrash is what fakeKernel panics with to stand for the plugin dying mid-way.
var errCrash = errors.New("simulated plugin crash")

// fakeKernel stands in for the PCI core behind a synthetic sysfs tree: it records every
// attribute write, writes the value to the tree's file like any write, and changes the
// tree's driver links the way the kernel would react.
type fakeKernel struct {
	t      testing.TB
	sysfs  string
	writes []sysfsWrite
	// native is the driver drivers_probe picks for a device without an override.
	native map[string]string
	// refuse holds drivers whose probe fails (vfio-pci without an IOMMU group).
	refuse map[string]bool
	// crashAfter >= 0 panics with errCrash instead of write number crashAfter+1.
	crashAfter int
	// beforeFirst, when set, runs before the first write.
	beforeFirst func()
	// netdevs holds the net/ folders of unbound devices: unbinding a driver destroys the
	// device's netdev and binding a driver other than vfio-pci creates it again, unless
	// withholdNetdev is set (a driver whose netdev shows up late, or never).
	netdevs        map[string]string
	withholdNetdev bool
}

func newFakeKernel(t testing.TB, sysfs string) *fakeKernel {
	return &fakeKernel{t: t, sysfs: sysfs, native: map[string]string{}, refuse: map[string]bool{}, crashAfter: -1,
		netdevs: map[string]string{}}
}

// binder is a live pciBinder over the tree whose writes go through the fake kernel.
func (k *fakeKernel) binder() *pciBinder {
	return &pciBinder{sysfs: k.sysfs, live: true, write: k.write}
}

func (k *fakeKernel) write(path, value string) error {
	if k.crashAfter >= 0 && len(k.writes) == k.crashAfter {
		panic(errCrash)
	}
	if len(k.writes) == 0 && k.beforeFirst != nil {
		k.beforeFirst()
	}
	rel, err := filepath.Rel(k.sysfs, path)
	if err != nil {
		k.t.Fatalf("write outside sysfs: %s", path)
	}
	k.writes = append(k.writes, sysfsWrite{rel, value})
	if err := writeAttribute(path, value); err != nil {
		return err
	}
	switch filepath.Base(rel) {
	case "driver_override":
		v := strings.TrimSpace(value)
		if v == "" {
			v = "(null)"
		}
		return os.WriteFile(path, []byte(v+"\n"), 0o644)
	case "drivers_probe":
		return k.probe(value)
	case "unbind":
		return k.unbind(filepath.Base(filepath.Dir(rel)), value)
	case "bind":
		return k.bindFile(filepath.Base(filepath.Dir(rel)), value)
	}
	return nil
}

func (k *fakeKernel) devDir(addr string) string {
	return filepath.Join(k.sysfs, "bus/pci/devices", addr)
}

func (k *fakeKernel) override(addr string) string {
	b, err := os.ReadFile(filepath.Join(k.devDir(addr), "driver_override"))
	if err != nil {
		k.t.Fatal(err)
	}
	if v := strings.TrimSpace(string(b)); v != "(null)" {
		return v
	}
	return ""
}

func (k *fakeKernel) driverOf(addr string) string {
	d, err := inventory.LinkBase(filepath.Join(k.devDir(addr), "driver"))
	if err != nil {
		k.t.Fatal(err)
	}
	return d
}

// probe is drivers_probe: it succeeds even when nothing binds, as the kernel's does.
func (k *fakeKernel) probe(addr string) error {
	if k.driverOf(addr) != "" {
		return nil
	}
	drv := k.override(addr)
	if drv == "" {
		drv = k.native[addr]
	}
	if drv == "" || k.refuse[drv] {
		return nil
	}
	if _, err := os.Stat(filepath.Join(k.sysfs, "bus/pci/drivers", drv)); err != nil {
		return nil
	}
	k.link(addr, drv)
	return nil
}

func (k *fakeKernel) unbind(drv, addr string) error {
	if k.driverOf(addr) != drv {
		return unix.ENODEV
	}
	real := k.realDir(addr)
	for _, p := range []string{filepath.Join(real, "driver"), filepath.Join(k.sysfs, "bus/pci/drivers", drv, addr)} {
		if err := os.Remove(p); err != nil {
			k.t.Fatal(err)
		}
	}
	k.destroyNetdev(addr)
	return nil
}

// destroyNetdev moves the device's net/ folder out of the tree, keeping it for later.
func (k *fakeKernel) destroyNetdev(addr string) {
	net := filepath.Join(k.realDir(addr), "net")
	if _, err := os.Stat(net); errors.Is(err, os.ErrNotExist) {
		return
	}
	kept := filepath.Join(k.t.TempDir(), "net")
	if err := os.Rename(net, kept); err != nil {
		k.t.Fatal(err)
	}
	k.netdevs[addr] = kept
}

// createNetdev puts back the net/ folder destroyNetdev kept.
func (k *fakeKernel) createNetdev(addr string) {
	kept, ok := k.netdevs[addr]
	if !ok {
		return
	}
	if err := os.Rename(kept, filepath.Join(k.realDir(addr), "net")); err != nil {
		k.t.Fatal(err)
	}
	delete(k.netdevs, addr)
}

// bindFile is drivers/<drv>/bind: the override must allow drv.
func (k *fakeKernel) bindFile(drv, addr string) error {
	if o := k.override(addr); o != "" && o != drv {
		return unix.ENODEV
	}
	if k.driverOf(addr) != "" {
		return unix.EBUSY
	}
	if k.refuse[drv] {
		return unix.EINVAL
	}
	k.link(addr, drv)
	return nil
}

func (k *fakeKernel) realDir(addr string) string {
	real, err := filepath.EvalSymlinks(k.devDir(addr))
	if err != nil {
		k.t.Fatal(err)
	}
	return real
}

// link creates the device's driver link and the driver's device link, relative as sysfs
// spells them.
func (k *fakeKernel) link(addr, drv string) {
	real := k.realDir(addr)
	drvDir := filepath.Join(k.sysfs, "bus/pci/drivers", drv)
	toDrv, err := filepath.Rel(real, drvDir)
	if err != nil {
		k.t.Fatal(err)
	}
	toDev, err := filepath.Rel(drvDir, real)
	if err != nil {
		k.t.Fatal(err)
	}
	if err := errors.Join(os.Symlink(toDrv, filepath.Join(real, "driver")), os.Symlink(toDev, filepath.Join(drvDir, addr))); err != nil {
		k.t.Fatal(err)
	}
	if drv != vfioPCI && !k.withholdNetdev {
		k.createNetdev(addr)
	}
}

// takeWrites returns the writes so far and forgets them.
func (k *fakeKernel) takeWrites() []sysfsWrite {
	w := k.writes
	k.writes = nil
	return w
}
