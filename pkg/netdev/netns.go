package netdev

import (
	"errors"
	"fmt"
	"os"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// errNetnsGone marks a pod netns path that no longer names a namespace.
var errNetnsGone = errors.New("network namespace no longer exists")

// openNetns opens the namespace file at path. A missing file, or a file that is
// no longer an nsfs mount (a runtime unmounted the namespace but left the bind
// mount target behind), is reported as errNetnsGone so Detach can tell "the pod
// netns was deleted" from real failures.
func openNetns(path string) (netns.NsHandle, error) {
	ns, err := netns.GetFromPath(path)
	if errors.Is(err, os.ErrNotExist) {
		return netns.None(), fmt.Errorf("opening netns %s: %w", path, errNetnsGone)
	}
	if err != nil {
		return netns.None(), fmt.Errorf("opening netns %s: %w", path, err)
	}
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(ns), &fs); err != nil {
		return netns.None(), errors.Join(fmt.Errorf("checking netns %s: %w", path, err), ns.Close())
	}
	if fs.Type != unix.NSFS_MAGIC {
		return netns.None(), errors.Join(fmt.Errorf("%s is not a namespace file: %w", path, errNetnsGone), ns.Close())
	}
	return ns, nil
}
