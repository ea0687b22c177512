package pcibind

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Netdevs lists the device's netdevs in this network namespace (sysfs shows only the
// netdevs of the namespace that mounted it).
func (b *Binder) Netdevs(addr string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(b.deviceDir(addr), "net"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the netdevs of PCI device %s: %w", addr, err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

// WaitNetdev waits, up to the Binder's netdev wait, for the device's driver to have
// created its one netdev, and returns its name. Unbinding a driver destroys the device's
// netdev; binding one back creates a new one in the driver's probe.
func (b *Binder) WaitNetdev(ctx context.Context, addr, driver string) (string, error) {
	deadline := time.Now().Add(b.netdevWait)
	for {
		names, err := b.Netdevs(addr)
		switch {
		case err != nil:
			return "", err
		case len(names) == 1:
			return names[0], nil
		case len(names) > 1:
			return "", fmt.Errorf("PCI device %s has several netdevs (%s) after binding it back to %s, and netclaim restores one per device",
				addr, strings.Join(names, ", "), driver)
		case !time.Now().Before(deadline):
			return "", fmt.Errorf("PCI device %s is back on %s but has no netdev in this network namespace after %s: "+
				"the driver's probe did not create one (dmesg | grep %s), or something moved it away; unprepare will retry",
				addr, driver, b.netdevWait, addr)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for the netdev of PCI device %s: %w", addr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DescribePF names a VF's PF for messages (", a VF of PF ens1f0 (0000:3b:00.0)"), or ""
// when the device is no VF or its PF cannot be read.
func (b *Binder) DescribePF(addr string) string {
	pf, err := linkBase(filepath.Join(b.deviceDir(addr), "physfn"))
	if err != nil || pf == "" {
		return ""
	}
	names, err := b.Netdevs(pf)
	if err != nil || len(names) == 0 {
		return ", a VF of PF " + pf
	}
	return fmt.Sprintf(", a VF of PF %s (%s)", strings.Join(names, ", "), pf)
}
