package netnstest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NamePrefix starts the name of every namespace this package creates.
const NamePrefix = "nc-test-"

// netnsDir is where netns.NewNamed bind-mounts named namespaces.
const netnsDir = "/var/run/netns"

// Netns is a named network namespace owned by one test, with a netlink handle
// inside it.
//
// The test's references (Ns and the socket behind Handle) keep the namespace
// alive even after its name is deleted, so Close must drop them before the
// kernel really tears it down. Netns is the single owner of both: never close
// Ns or Handle directly, or the cleanup would close a file descriptor number
// that may by then belong to something else.
type Netns struct {
	t      testing.TB
	Name   string
	Path   string
	Ns     netns.NsHandle
	Handle *netlink.Handle
	closed bool
}

// NewNamedNetns creates the namespace /var/run/netns/<name> and a netlink
// handle in it; t.Cleanup closes both, deletes the namespace and checks that
// its mount point is gone.
func NewNamedNetns(t testing.TB, name string) *Netns {
	t.Helper()
	ns, err := createNamed(name)
	n := &Netns{t: t, Name: name, Path: filepath.Join(netnsDir, name), Ns: ns}
	t.Cleanup(n.cleanup)
	if err != nil {
		t.Fatalf("creating netns %s: %v", name, err)
	}
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatalf("opening a netlink handle in netns %s: %v", name, err)
	}
	n.Handle = h
	return n
}

// NewPodNetns creates one more pod namespace (a node runs many pods) and
// returns its path and a netlink handle in it. Cleanup is as for
// NewNamedNetns. Use NewNamedNetns with RandomSuffix when the test needs to
// delete the namespace itself.
func NewPodNetns(t testing.TB) (path string, h *netlink.Handle) {
	t.Helper()
	n := NewNamedNetns(t, NamePrefix+"pod-"+RandomSuffix(t))
	return n.Path, n.Handle
}

// createNamed creates the namespace on a dedicated locked thread, so the
// test's own threads never change namespace.
func createNamed(name string) (netns.NsHandle, error) {
	type result struct {
		ns  netns.NsHandle
		err error
	}
	done := make(chan result)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			done <- result{ns: netns.None(), err: err}
			return
		}
		defer orig.Close()
		ns, err := netns.NewNamed(name)
		if restoreErr := netns.Set(orig); restoreErr != nil {
			// Leave the thread locked: the runtime discards it when
			// this goroutine exits, namespace and all.
			done <- result{ns: ns, err: errors.Join(err, restoreErr)}
			return
		}
		runtime.UnlockOSThread()
		done <- result{ns: ns, err: err}
	}()
	r := <-done
	return r.ns, r.err
}

// Close drops the test's references to the namespace (the netlink handle and
// the namespace file descriptor). It is idempotent.
func (n *Netns) Close() {
	n.t.Helper()
	if n.closed {
		return
	}
	n.closed = true
	if n.Handle != nil {
		n.Handle.Close()
	}
	if n.Ns.IsOpen() {
		if err := n.Ns.Close(); err != nil {
			n.t.Errorf("closing netns %s: %v", n.Name, err)
		}
	}
	n.Ns = netns.None()
}

// Delete destroys the namespace as a container runtime would: it drops the
// test's references and removes the name. The kernel then destroys the
// namespace asynchronously, deleting its virtual devices and returning
// physical ones to the initial namespace; see Testbed.WaitLinkGone.
func (n *Netns) Delete() {
	n.t.Helper()
	n.Close()
	if err := netns.DeleteNamed(n.Name); err != nil {
		n.t.Fatalf("deleting netns %s: %v", n.Name, err)
	}
}

func (n *Netns) cleanup() {
	n.Close()
	// A test may have deleted or unmounted it already.
	if err := netns.DeleteNamed(n.Name); err != nil && !errors.Is(err, os.ErrNotExist) {
		n.t.Errorf("deleting netns %s: %v", n.Name, err)
	}
	if _, err := os.Stat(n.Path); !errors.Is(err, os.ErrNotExist) {
		n.t.Errorf("netns %s still exists after cleanup (stat: %v)", n.Path, err)
	}
}

// RandomSuffix returns 8 hex digits, to make names unique across parallel
// tests and test binaries.
func RandomSuffix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random suffix: %v", err)
	}
	return hex.EncodeToString(b)
}
