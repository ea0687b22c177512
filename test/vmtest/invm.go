package vmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// EnvVM is the environment variable the VM's /init sets to "1" for the test
// binaries it runs.
const EnvVM = "NETCLAIM_VM"

// modprobePath is busybox's modprobe in the VM's initramfs. The kernel itself
// calls /sbin/modprobe for request_module (e.g. a netlink family or a link
// kind), so it is always there.
const modprobePath = "/sbin/modprobe"

// InVM skips the test unless it runs inside the test VM. The fixtures create
// and destroy real devices and load kernel modules, which must never happen
// on a developer's machine or a CI host.
func InVM(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvVM) != "1" {
		t.Skipf("real-kernel VM test: runs only inside the test VM (%s=1); run it with `make vm-test`", EnvVM)
	}
}

// RequireModule makes sure the kernel module name is loaded, loading it with
// modprobe (which also loads its dependencies) if it is not. It fails the test
// if the module cannot be loaded: a VM test that needs a module is meaningless
// without it, and the initramfs is supposed to ship every module the tier
// offers (test/vm/build-initramfs.sh).
func RequireModule(t testing.TB, name string) {
	t.Helper()
	InVM(t)
	if moduleLoaded(name) {
		return
	}
	out, err := exec.Command(modprobePath, name).CombinedOutput()
	if err != nil {
		t.Fatalf("loading kernel module %s: %v: %s (is it in test/vm/build-initramfs.sh's module list?)",
			name, err, strings.TrimSpace(string(out)))
	}
	if !moduleLoaded(name) {
		t.Fatalf("kernel module %s: modprobe succeeded but /sys/module/%s is missing", name, moduleSysName(name))
	}
}

// moduleLoaded reports whether /sys/module has the module. Built-in code that
// has parameters shows up there too, which is what we want: it is available.
func moduleLoaded(name string) bool {
	_, err := os.Stat(filepath.Join("/sys/module", moduleSysName(name)))
	return err == nil
}

// moduleSysName spells a module name the way /sys/module does: the kernel
// treats '-' and '_' alike in module names and uses '_' there (vfio-pci is
// /sys/module/vfio_pci).
func moduleSysName(name string) string {
	return strings.ReplaceAll(name, "-", "_")
}
