package checkpoint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/klog/v2"
)

// LockStateDir makes this process the only plugin using stateDir, the directory of its
// checkpoint. Two plugins on one node (a DaemonSet rolling update that surges, a second
// copy started by hand) would each keep the checkpoint in memory and overwrite each
// other's writes, and both would answer the runtime's NRI hooks. The lock is released by
// the kernel when the process exits, however it exits, so a killed plugin never blocks its
// successor. It waits for the lock until ctx ends; closing the file releases it.
func LockStateDir(ctx context.Context, stateDir string) (*os.File, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the state directory: %w", err)
	}
	path := filepath.Join(stateDir, "plugin.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	logged := false
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if err != unix.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !logged {
			klog.FromContext(ctx).Info("Another netclaim-plugin holds the state directory; waiting for it to exit", "lock", path)
			logged = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for the lock on %s: %w", path, context.Cause(ctx))
		case <-time.After(200 * time.Millisecond):
		}
	}
}
