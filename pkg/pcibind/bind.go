package pcibind

import (
	"fmt"
	"path/filepath"

	"github.com/netclaim/netclaim/pkg/plan"
)

// Bind moves a device to driver:
//
//  1. driver_override := driver, so that from now on only that driver may take the
//     device, whatever probes it (our drivers_probe, a hotplug event, another tool);
//  2. <current driver>/unbind := address, which releases the device (and destroys its
//     netdev) without probing again;
//  3. drivers_probe := address, which makes the kernel match it against the override;
//  4. the driver link must now name driver: drivers_probe reports success even when
//     the probe failed (vfio-pci refuses a device without an IOMMU group).
//
// Each step is skipped when the device is already past it, so calling Bind again after
// a crash at any point converges.
func (b *Binder) Bind(addr, driver string) error {
	if !b.live {
		return ErrNotLive
	}
	cur, err := b.Binding(addr)
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
	if err := b.unbind(addr, cur.Driver); err != nil {
		return err
	}
	if err := b.write(filepath.Join(b.sysfs, "bus/pci/drivers_probe"), addr); err != nil {
		return fmt.Errorf("probing %s for %s: %w", addr, driver, err)
	}
	return b.verify(addr, driver)
}

// Restore puts a device back to an earlier binding:
//
//  1. driver_override := the earlier one ("\n" clears it), or the earlier driver could
//     not match the device;
//  2. <current driver>/unbind := address;
//  3. <earlier driver>/bind := address: naming the driver, rather than probing, binds
//     exactly the one the device had even when several match it, and returns the
//     driver's probe error;
//  4. the driver link must name the earlier driver (or be gone, for an unbound device).
//
// Like Bind, it skips what is already done and converges when repeated. A device that
// is gone from sysfs yields ErrDeviceGone.
func (b *Binder) Restore(addr string, to plan.Binding) error {
	if !b.live {
		return ErrNotLive
	}
	if b.Gone(addr) {
		return fmt.Errorf("%s: %w", addr, ErrDeviceGone)
	}
	cur, err := b.Binding(addr)
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
	if err := b.unbind(addr, cur.Driver); err != nil {
		return err
	}
	if to.Driver == "" {
		return b.verify(addr, "")
	}
	if err := b.write(filepath.Join(b.driverDir(to.Driver), "bind"), addr); err != nil {
		return fmt.Errorf("binding %s back to %s: %w", addr, to.Driver, err)
	}
	return b.verify(addr, to.Driver)
}

// unbind releases the device from driver ("" when it has none, which is no write).
func (b *Binder) unbind(addr, driver string) error {
	if driver == "" {
		return nil
	}
	if err := b.write(filepath.Join(b.driverDir(driver), "unbind"), addr); err != nil {
		return fmt.Errorf("unbinding %s from %s: %w", addr, driver, err)
	}
	return nil
}

// verify checks that the device's driver link names want ("" for unbound).
func (b *Binder) verify(addr, want string) error {
	got, err := linkBase(filepath.Join(b.deviceDir(addr), "driver"))
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
