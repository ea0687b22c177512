// Package pcibind reads and changes the driver bindings of PCI devices through sysfs:
// it hands a device to vfio-pci (for DPDK in a pod) and puts it back on the driver it
// had. It takes plain values and plan.Binding and knows nothing of Kubernetes.
package pcibind

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/netclaim/netclaim/pkg/plan"
)

// VFIOPCI is the kernel driver that hands a PCI device to userspace (DPDK) through
// /dev/vfio.
const VFIOPCI = "vfio-pci"

// ErrDeviceGone says the PCI device is no longer in sysfs (its VFs were disabled, it was
// unplugged): there is no binding left to restore.
var ErrDeviceGone = errors.New("PCI device is gone")

// ErrNotLive refuses driver changes on a captured or synthetic host: its sysfs is a plain
// file tree with no kernel behind it.
var ErrNotLive = errors.New("driver rebinding needs the live sysfs, and this plugin reads a captured or synthetic host (--host-root)")

// DefaultNetdevWait bounds the wait for the netdev of a device bound back to its driver.
// Drivers register it in their probe, so it is normally there when the bind write
// returns; the margin is for drivers that finish their probe asynchronously.
const DefaultNetdevWait = 5 * time.Second

// WriteFunc writes value to the sysfs attribute at path.
type WriteFunc func(path, value string) error

// Binder reads and changes the driver bindings of PCI devices through sysfs. Every
// write goes through write, one attribute at a time, so that tests can record the exact
// sequence against a synthetic tree.
type Binder struct {
	// sysfs is the sysfs folder: /sys on the live host, DIR/sys for --host-root DIR.
	sysfs string
	// live permits writes; a synthetic tree can only be read.
	live  bool
	write WriteFunc
	// netdevWait bounds the wait for the netdev of a device bound back to its driver.
	netdevWait time.Duration
}

// New is a Binder over hostRoot's sysfs ("" or "/" for the live host). Only the live
// host's bindings can be changed.
func New(hostRoot string) *Binder {
	root := filepath.Clean(hostRoot)
	if hostRoot == "" {
		root = "/"
	}
	return &Binder{sysfs: filepath.Join(root, "sys"), live: root == "/", write: WriteAttribute, netdevWait: DefaultNetdevWait}
}

// NewWithWriter is a Binder that changes the bindings in the sysfs tree at sysfs through
// write and waits up to netdevWait for a restored device's netdev. It is for tests: a
// fake kernel behind a synthetic tree, or a recorder around WriteAttribute on a VM's /sys.
func NewWithWriter(sysfs string, write WriteFunc, netdevWait time.Duration) *Binder {
	return &Binder{sysfs: sysfs, live: true, write: write, netdevWait: netdevWait}
}

// WriteAttribute writes a sysfs attribute with a single write(2): the kernel's store
// handler sees the whole value at once and its error is the write's. The file must exist
// (sysfs creates attributes, we never do).
func WriteAttribute(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte(value))
	return errors.Join(err, f.Close())
}

func (b *Binder) deviceDir(addr string) string {
	return filepath.Join(b.sysfs, "bus/pci/devices", addr)
}

func (b *Binder) driverDir(driver string) string {
	return filepath.Join(b.sysfs, "bus/pci/drivers", driver)
}

// Gone says whether the device is no longer in sysfs.
func (b *Binder) Gone(addr string) bool {
	_, err := os.Stat(b.deviceDir(addr))
	return errors.Is(err, fs.ErrNotExist)
}

// Binding reads a device's driver link and driver_override. The kernel shows an unset
// override as "(null)".
func (b *Binder) Binding(addr string) (plan.Binding, error) {
	dir := b.deviceDir(addr)
	driver, err := linkBase(filepath.Join(dir, "driver"))
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

// linkBase is the last element of a sysfs link's target ("igbvf" for a device's driver
// link, "42" for its iommu_group), "" when there is no link: an unbound device has no
// driver link. (pkg/inventory has the same reader; this package does not import
// discovery for five lines.)
func linkBase(path string) (string, error) {
	target, err := os.Readlink(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return filepath.Base(target), nil
}
