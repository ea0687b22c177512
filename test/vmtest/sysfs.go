package vmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const pciDevicesDir = "/sys/bus/pci/devices"

// bindTimeout bounds every wait for the kernel to finish something
// asynchronous (a driver probe, a netdev registration). Under qemu TCG a VF
// takes a few seconds to probe; the bound only turns a hang into a clear
// failure, it asserts nothing about speed.
const bindTimeout = 90 * time.Second

// pollInterval is how often a wait looks again: there is no udev in the VM to
// send events to wait on.
const pollInterval = 50 * time.Millisecond

// readSysfs returns the trimmed contents of a sysfs attribute.
func readSysfs(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// writeSysfs writes value to a sysfs attribute, failing the test with the
// kernel's error (sysfs stores return it from write(2), e.g. EBUSY).
func writeSysfs(t testing.TB, path, value string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(value), 0); err != nil {
		t.Fatalf("writing %q to %s: %v", value, path, err)
	}
}

// setNumVFs writes sriov_numvfs. The kernel refuses (EBUSY) to change a
// non-zero VF count to another non-zero one, so a different count is reached
// through 0.
func setNumVFs(t testing.TB, devDir string, n int) {
	t.Helper()
	path := filepath.Join(devDir, "sriov_numvfs")
	cur, err := readSysfs(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if cur == strconv.Itoa(n) {
		return
	}
	if cur != "0" {
		writeSysfs(t, path, "0")
	}
	if n != 0 {
		writeSysfs(t, path, strconv.Itoa(n))
	}
}

// resetNumVFs is setNumVFs(0) for a cleanup: it reports instead of stopping,
// so later cleanups still run.
func resetNumVFs(t testing.TB, devDir string) {
	t.Helper()
	path := filepath.Join(devDir, "sriov_numvfs")
	if err := os.WriteFile(path, []byte("0"), 0); err != nil {
		t.Errorf("cleanup: removing the VFs of %s: %v", devDir, err)
	}
}

// onlyNetdev returns the name of the single network interface a device
// folder owns. Only <dev>/net/ is read: globbing deeper would follow the
// virtfnN and physfn links and find other functions' netdevs.
func onlyNetdev(devDir string) (string, error) {
	entries, err := os.ReadDir(filepath.Join(devDir, "net"))
	if err != nil {
		return "", err
	}
	if len(entries) != 1 {
		return "", fmt.Errorf("%s/net has %d entries, want 1", devDir, len(entries))
	}
	return entries[0].Name(), nil
}

// boundDriver returns the name of the driver bound to a device, or "" if none.
func boundDriver(devDir string) string {
	target, err := os.Readlink(filepath.Join(devDir, "driver"))
	if err != nil {
		return ""
	}
	return filepath.Base(target)
}

// waitFor polls check until it returns nil, failing the test with what, the
// last error and the bound if it never does.
func waitFor(t testing.TB, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(bindTimeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: still not there after %s: %v", what, bindTimeout, err)
		}
		time.Sleep(pollInterval)
	}
}
