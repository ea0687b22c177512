package nodeagent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/types"
)

// netnsDir is where netns.NewNamed bind-mounts named namespaces (/run/netns; /var/run
// links to /run), the same place `ip netns` and containerd's default use.
const netnsDir = "/var/run/netns"

// uidPrefixLen keeps names short and readable ("nc-pod-1b4e28ba-2fa1") while a collision
// between two pods of one test run stays out of reach.
const uidPrefixLen = 13

// podNetnsName names a pod's network namespace after its UID, so that a person or the
// e2e suite can find it from the pod without asking the agent.
func podNetnsName(prefix string, uid types.UID) string {
	id := string(uid)
	if len(id) > uidPrefixLen {
		id = id[:uidPrefixLen]
	}
	return prefix + id
}

func netnsPath(name string) string { return filepath.Join(netnsDir, name) }

// PodNetnsPath is where an agent started with prefix keeps the network namespace of the
// pod with uid, for tools that read a pod's network from outside (the e2e suite, the demo).
func PodNetnsPath(prefix string, uid types.UID) string {
	return netnsPath(podNetnsName(prefix, uid))
}

// createPodNetns creates a named network namespace with lo up, as containerd does before
// the pod's network is set up, and returns its path.
//
// netns.NewNamed unshares the calling thread into the new namespace, so it runs on a
// dedicated locked thread which is switched back afterwards; if switching back fails the
// thread stays locked and Go discards it when the goroutine ends, so no other goroutine
// ever runs in the pod's namespace.
func createPodNetns(name string) (string, error) {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		errc <- createOnLockedThread(name)
	}()
	if err := <-errc; err != nil {
		err = fmt.Errorf("creating network namespace %s: %w", name, err)
		if errors.Is(err, os.ErrExist) {
			// Not created by this call: the caller knows whose it is.
			return "", err
		}
		return "", errors.Join(err, deletePodNetns(name))
	}
	return netnsPath(name), nil
}

func createOnLockedThread(name string) error {
	orig, err := netns.Get()
	if err != nil {
		return fmt.Errorf("opening the agent's network namespace: %w", err)
	}
	defer orig.Close()
	created, createErr := netns.NewNamed(name)
	// NewNamed may have switched the thread even when it failed later (mounting).
	if err := netns.Set(orig); err != nil {
		return errors.Join(createErr, fmt.Errorf("returning to the agent's network namespace: %w", err))
	}
	runtime.UnlockOSThread()
	if createErr != nil {
		return createErr
	}
	defer created.Close()
	return bringUpLoopback(created)
}

// bringUpLoopback sets lo up inside ns through a handle bound to it (no thread switch).
func bringUpLoopback(ns netns.NsHandle) error {
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("opening netlink in the pod namespace: %w", err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("finding lo: %w", err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("setting lo up: %w", err)
	}
	return nil
}

// deletePodNetns unmounts and removes a named namespace. A namespace that is already gone
// is fine (teardown is retried), and a leftover file that was never mounted (create
// failed half-way) is removed too.
func deletePodNetns(name string) error {
	err := netns.DeleteNamed(name)
	switch {
	case err == nil, errors.Is(err, unix.ENOENT):
		return nil
	case errors.Is(err, unix.EINVAL):
		if rmErr := os.Remove(netnsPath(name)); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			return fmt.Errorf("removing network namespace file %s: %w", netnsPath(name), rmErr)
		}
		return nil
	default:
		return fmt.Errorf("deleting network namespace %s: %w", name, err)
	}
}
