package driver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/plan"
)

// vfioPCI is the kernel driver that hands a PCI device to userspace (DPDK) through
// /dev/vfio.
const vfioPCI = "vfio-pci"

// errDeviceGone says the PCI device is no longer in sysfs (its VFs were disabled, it was
// unplugged): there is no binding left to restore.
var errDeviceGone = errors.New("PCI device is gone")

// errNotLive refuses driver changes on a captured or synthetic host: its sysfs is a plain
// file tree with no kernel behind it.
var errNotLive = errors.New("driver rebinding needs the live sysfs, and this plugin reads a captured or synthetic host (--host-root)")

// pciBinder reads and changes the driver bindings of PCI devices through sysfs. Every
// write goes through write, one attribute at a time, so that tests can record the exact
// sequence against a synthetic tree.
type pciBinder struct {
	// sysfs is the sysfs folder: /sys on the live host, DIR/sys for --host-root DIR.
	sysfs string
	// live permits writes; a synthetic tree can only be read.
	live  bool
	write func(path, value string) error
	// netdevWait bounds the wait for the netdev of a device bound back to its driver.
	netdevWait time.Duration
}

func newPCIBinder(hostRoot string) *pciBinder {
	root := filepath.Clean(hostRoot)
	if hostRoot == "" {
		root = "/"
	}
	return &pciBinder{sysfs: filepath.Join(root, "sys"), live: root == "/", write: writeAttribute, netdevWait: defaultNetdevWait}
}

// writeAttribute writes a sysfs attribute with a single write(2): the kernel's store
// handler sees the whole value at once and its error is the write's. The file must exist
// (sysfs creates attributes, we never do).
func writeAttribute(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte(value))
	return errors.Join(err, f.Close())
}

func (b *pciBinder) deviceDir(addr string) string {
	return filepath.Join(b.sysfs, "bus/pci/devices", addr)
}

func (b *pciBinder) driverDir(driver string) string {
	return filepath.Join(b.sysfs, "bus/pci/drivers", driver)
}

// binding reads a device's driver link and driver_override. The kernel shows an unset
// override as "(null)".
func (b *pciBinder) binding(addr string) (plan.Binding, error) {
	dir := b.deviceDir(addr)
	driver, err := inventory.LinkBase(filepath.Join(dir, "driver"))
	if err != nil {
		return plan.Binding{}, fmt.Errorf("reading the driver of PCI device %s: %w", addr, err)
	}
	override, err := os.ReadFile(filepath.Join(dir, "driver_override"))
	if err != nil {
		return plan.Binding{}, fmt.Errorf("reading driver_override of PCI device %s: %w", addr, err)
	}
	o := strings.TrimSpace(string(override))
	if o == "(null)" {
		o = ""
	}
	return plan.Binding{Driver: driver, DriverOverride: o}, nil
}

// bindTo moves a device to driver:
//
//  1. driver_override := driver, so that from now on only that driver may take the
//     device, whatever probes it (our drivers_probe, a hotplug event, another tool);
//  2. <current driver>/unbind := address, which releases the device (and destroys its
//     netdev) without probing again;
//  3. drivers_probe := address, which makes the kernel match it against the override;
//  4. the driver link must now name driver: drivers_probe reports success even when
//     the probe failed (vfio-pci refuses a device without an IOMMU group).
//
// Each step is skipped when the device is already past it, so calling bindTo again after
// a crash at any point converges.
func (b *pciBinder) bindTo(addr, driver string) error {
	if !b.live {
		return errNotLive
	}
	cur, err := b.binding(addr)
	if err != nil {
		return err
	}
	dir := b.deviceDir(addr)
	if cur.DriverOverride != driver {
		if err := b.write(filepath.Join(dir, "driver_override"), driver); err != nil {
			return fmt.Errorf("setting driver_override of %s to %s: %w", addr, driver, err)
		}
	}
	if cur.Driver == driver {
		return nil
	}
	if cur.Driver != "" {
		if err := b.write(filepath.Join(b.driverDir(cur.Driver), "unbind"), addr); err != nil {
			return fmt.Errorf("unbinding %s from %s: %w", addr, cur.Driver, err)
		}
	}
	if err := b.write(filepath.Join(b.sysfs, "bus/pci/drivers_probe"), addr); err != nil {
		return fmt.Errorf("probing %s for %s: %w", addr, driver, err)
	}
	return b.verify(addr, driver)
}

// restore puts a device back to an earlier binding:
//
//  1. driver_override := the earlier one ("\n" clears it), or the earlier driver could
//     not match the device;
//  2. <current driver>/unbind := address;
//  3. <earlier driver>/bind := address: naming the driver, rather than probing, binds
//     exactly the one the device had even when several match it, and returns the
//     driver's probe error;
//  4. the driver link must name the earlier driver (or be gone, for an unbound device).
//
// Like bindTo, it skips what is already done and converges when repeated. A device that
// is gone from sysfs yields errDeviceGone.
func (b *pciBinder) restore(addr string, to plan.Binding) error {
	if !b.live {
		return errNotLive
	}
	if _, err := os.Stat(b.deviceDir(addr)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", addr, errDeviceGone)
	}
	cur, err := b.binding(addr)
	if err != nil {
		return err
	}
	dir := b.deviceDir(addr)
	if cur.DriverOverride != to.DriverOverride {
		value := to.DriverOverride
		if value == "" {
			value = "\n"
		}
		if err := b.write(filepath.Join(dir, "driver_override"), value); err != nil {
			return fmt.Errorf("restoring driver_override of %s to %q: %w", addr, to.DriverOverride, err)
		}
	}
	if cur.Driver == to.Driver {
		return nil
	}
	if cur.Driver != "" {
		if err := b.write(filepath.Join(b.driverDir(cur.Driver), "unbind"), addr); err != nil {
			return fmt.Errorf("unbinding %s from %s: %w", addr, cur.Driver, err)
		}
	}
	if to.Driver == "" {
		return b.verify(addr, "")
	}
	if err := b.write(filepath.Join(b.driverDir(to.Driver), "bind"), addr); err != nil {
		return fmt.Errorf("binding %s back to %s: %w", addr, to.Driver, err)
	}
	return b.verify(addr, to.Driver)
}

// verify checks that the device's driver link names want ("" for unbound).
func (b *pciBinder) verify(addr, want string) error {
	got, err := inventory.LinkBase(filepath.Join(b.deviceDir(addr), "driver"))
	if err != nil {
		return fmt.Errorf("reading the driver of PCI device %s: %w", addr, err)
	}
	if got == want {
		return nil
	}
	if want == "" {
		return fmt.Errorf("PCI device %s is still bound to %s after unbinding it", addr, got)
	}
	if got == "" {
		got = "no driver"
	}
	return fmt.Errorf("%s did not take PCI device %s (it has %s); a failed probe is only in the kernel log (dmesg | grep %s)", want, addr, got, addr)
}
