package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/netclaim/netclaim/pkg/inventory/pciids"
)

// pcidbPathEnv is how ghw v0.25 is told where pci.ids is. It does not look for the file
// under its chroot and ignores ghw.WithPCIDB, and it fails outright without one, so the
// process environment is the only knob (see withPCIIDs).
const pcidbPathEnv = "PCIDB_PATH"

// pciIDsLocations are where distributions install pci.ids (hwdata on Fedora/RHEL, pciutils
// and hwdata on Debian/Ubuntu), relative to a root.
var pciIDsLocations = []string{
	"usr/share/hwdata/pci.ids",
	"usr/share/misc/pci.ids",
}

// machineRoot is the root of the machine running discovery, whose pci.ids is the second
// choice (a variable so that tests can stand in another machine).
var machineRoot = "/"

// pcidbEnvMu serialises the window in which PCIDB_PATH is set for a ghw.PCI call.
var pcidbEnvMu sync.Mutex

// withPCIIDs runs fn (which calls ghw.PCI) with PCIDB_PATH pointing at a pci.ids file, unless
// the caller already chose one through PCIDB_PATH or PCIDB_CHROOT. The environment is
// process-wide, so the variable is set only for the duration of fn, under a mutex, and
// restored afterwards: a later scan of another host root must not inherit this one's path.
func withPCIIDs(hostRoot string, fn func() error) error {
	pcidbEnvMu.Lock()
	defer pcidbEnvMu.Unlock()
	if os.Getenv(pcidbPathEnv) != "" || os.Getenv("PCIDB_CHROOT") != "" {
		return fn()
	}
	path, err := resolvePCIIDs(hostRoot, machineRoot)
	if err != nil {
		return err
	}
	if err := os.Setenv(pcidbPathEnv, path); err != nil {
		return fmt.Errorf("setting %s: %w", pcidbPathEnv, err)
	}
	fnErr := fn()
	if err := os.Unsetenv(pcidbPathEnv); err != nil {
		return errors.Join(fnErr, fmt.Errorf("restoring %s: %w", pcidbPathEnv, err))
	}
	return fnErr
}

// resolvePCIIDs picks the pci.ids file for a scan: the inspected host's own
// (HostRoot/usr/share/{hwdata,misc}/pci.ids), then the one of the machine running discovery,
// then the minimal database netclaim embeds. Names are never published, so any valid file
// will do; a real one only makes ghw's debug output nicer.
func resolvePCIIDs(hostRoot, machineRoot string) (string, error) {
	var candidates []string
	for _, root := range []string{hostRoot, machineRoot} {
		for _, p := range pciIDsLocations {
			candidates = append(candidates, filepath.Join(root, p))
		}
	}
	for _, p := range candidates {
		info, err := os.Stat(p)
		if err == nil && info.Mode().IsRegular() {
			return p, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("looking for pci.ids at %s: %w", p, err)
		}
	}
	return embeddedPCIIDsFile()
}

// embeddedPCIIDsFile materialises the embedded pci.ids in the temp directory, once per
// content: the name carries a hash of the content, so concurrent processes and upgrades
// never read a half-written or stale file, and repeated runs reuse it instead of leaking one.
func embeddedPCIIDsFile() (string, error) {
	sum := sha256.Sum256(pciids.Minimal)
	path := filepath.Join(os.TempDir(), "netclaim-pci-"+hex.EncodeToString(sum[:8])+".ids")
	if info, err := os.Stat(path); err == nil && info.Size() == int64(len(pciids.Minimal)) {
		return path, nil
	}
	tmp, err := os.CreateTemp(os.TempDir(), "netclaim-pci-*.tmp")
	if err != nil {
		return "", fmt.Errorf("no pci.ids on the host and cannot write the built-in one to %s (make it writable or set %s): %w", os.TempDir(), pcidbPathEnv, err)
	}
	_, writeErr := tmp.Write(pciids.Minimal)
	// Readable by all: a later run under another user reuses the file.
	chmodErr := tmp.Chmod(0o644)
	closeErr := tmp.Close()
	if err := errors.Join(writeErr, chmodErr, closeErr); err != nil {
		return "", errors.Join(fmt.Errorf("writing the built-in pci.ids to %s: %w", tmp.Name(), err), os.Remove(tmp.Name()))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", errors.Join(fmt.Errorf("installing the built-in pci.ids at %s: %w", path, err), os.Remove(tmp.Name()))
	}
	return path, nil
}
