// Package pcibindtest is a fake PCI core behind a synthetic sysfs tree (fakesys), for the
// tests of pcibind and of the code that rebinds devices through it.
package pcibindtest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/pcibind"
)

// ErrCrash is what Kernel panics with to stand for the plugin dying mid-way.
var ErrCrash = errors.New("simulated plugin crash")

// Kernel stands in for the PCI core behind a synthetic sysfs tree: it records every
// attribute write, writes the value to the tree's file like any write, and changes the
// tree's driver links the way the kernel would react.
type Kernel struct {
	t testing.TB
	// Sysfs is the tree's sysfs folder.
	Sysfs  string
	writes []Write
	// Native is the driver drivers_probe picks for a device without an override.
	Native map[string]string
	// Refuse holds drivers whose probe fails (vfio-pci without an IOMMU group).
	Refuse map[string]bool
	// CrashAfter >= 0 panics with ErrCrash instead of write number CrashAfter+1.
	CrashAfter int
	// BeforeFirst, when set, runs before the first write.
	BeforeFirst func()
	// netdevs holds the net/ folders of unbound devices: unbinding a driver destroys the
	// device's netdev and binding a driver other than vfio-pci creates it again, unless
	// WithholdNetdev is set (a driver whose netdev shows up late, or never).
	netdevs        map[string]string
	WithholdNetdev bool
}

// NewKernel is a fake kernel behind the tree at sysfs.
func NewKernel(t testing.TB, sysfs string) *Kernel {
	return &Kernel{t: t, Sysfs: sysfs, Native: map[string]string{}, Refuse: map[string]bool{}, CrashAfter: -1,
		netdevs: map[string]string{}}
}

// Binder is a live pcibind.Binder over the tree whose writes go through the fake kernel.
// It does not wait for netdevs: the fake creates them with the bind or not at all.
func (k *Kernel) Binder() *pcibind.Binder {
	return pcibind.NewWithWriter(k.Sysfs, k.Write, 0)
}

// Write is the sysfs attribute write the kernel reacts to.
func (k *Kernel) Write(path, value string) error {
	if k.CrashAfter >= 0 && len(k.writes) == k.CrashAfter {
		panic(ErrCrash)
	}
	if len(k.writes) == 0 && k.BeforeFirst != nil {
		k.BeforeFirst()
	}
	rel, err := filepath.Rel(k.Sysfs, path)
	if err != nil {
		k.t.Fatalf("write outside sysfs: %s", path)
	}
	k.writes = append(k.writes, Write{rel, value})
	if err := pcibind.WriteAttribute(path, value); err != nil {
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

// TakeWrites returns the writes so far and forgets them.
func (k *Kernel) TakeWrites() []Write {
	w := k.writes
	k.writes = nil
	return w
}

func (k *Kernel) devDir(addr string) string {
	return filepath.Join(k.Sysfs, "bus/pci/devices", addr)
}

func (k *Kernel) override(addr string) string {
	b, err := os.ReadFile(filepath.Join(k.devDir(addr), "driver_override"))
	if err != nil {
		k.t.Fatal(err)
	}
	if v := strings.TrimSpace(string(b)); v != "(null)" {
		return v
	}
	return ""
}

func (k *Kernel) driverOf(addr string) string {
	d, err := inventory.LinkBase(filepath.Join(k.devDir(addr), "driver"))
	if err != nil {
		k.t.Fatal(err)
	}
	return d
}

// probe is drivers_probe: it succeeds even when nothing binds, as the kernel's does.
func (k *Kernel) probe(addr string) error {
	if k.driverOf(addr) != "" {
		return nil
	}
	drv := k.override(addr)
	if drv == "" {
		drv = k.Native[addr]
	}
	if drv == "" || k.Refuse[drv] {
		return nil
	}
	if _, err := os.Stat(filepath.Join(k.Sysfs, "bus/pci/drivers", drv)); err != nil {
		return nil
	}
	k.link(addr, drv)
	return nil
}

func (k *Kernel) unbind(drv, addr string) error {
	if k.driverOf(addr) != drv {
		return unix.ENODEV
	}
	real := k.realDir(addr)
	for _, p := range []string{filepath.Join(real, "driver"), filepath.Join(k.Sysfs, "bus/pci/drivers", drv, addr)} {
		if err := os.Remove(p); err != nil {
			k.t.Fatal(err)
		}
	}
	k.destroyNetdev(addr)
	return nil
}

// destroyNetdev moves the device's net/ folder out of the tree, keeping it for later.
func (k *Kernel) destroyNetdev(addr string) {
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

// CreateNetdev puts back the net/ folder that unbinding the device's driver took away,
// as a driver whose netdev shows up late.
func (k *Kernel) CreateNetdev(addr string) {
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
func (k *Kernel) bindFile(drv, addr string) error {
	if o := k.override(addr); o != "" && o != drv {
		return unix.ENODEV
	}
	if k.driverOf(addr) != "" {
		return unix.EBUSY
	}
	if k.Refuse[drv] {
		return unix.EINVAL
	}
	k.link(addr, drv)
	return nil
}

func (k *Kernel) realDir(addr string) string {
	real, err := filepath.EvalSymlinks(k.devDir(addr))
	if err != nil {
		k.t.Fatal(err)
	}
	return real
}

// link creates the device's driver link and the driver's device link, relative as sysfs
// spells them.
func (k *Kernel) link(addr, drv string) {
	real := k.realDir(addr)
	drvDir := filepath.Join(k.Sysfs, "bus/pci/drivers", drv)
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
	if drv != pcibind.VFIOPCI && !k.WithholdNetdev {
		k.CreateNetdev(addr)
	}
}
