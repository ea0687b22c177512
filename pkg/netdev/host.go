package netdev

import (
	"errors"
	"fmt"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Host is netlink access to the host network namespace: where the plugin
// runs, or a simulated node's namespace in tests. It is safe for concurrent
// use.
type Host struct {
	path string
	ns   netns.NsHandle
	hook StepHook

	// mu serialises use of conn.handle: netlink.Handle is not documented
	// as safe for concurrent use (it caches state such as its lookup
	// mode). conn.raw needs no lock: the library locks a socket for the
	// whole of each request it executes.
	mu   sync.Mutex
	conn *conn
}

// Step names a point in Attach or Detach after which a StepHook runs.
type Step string

// Steps, in the order they happen.
const (
	// AttachMoved: the device is in the pod netns with its target name,
	// MTU and MAC (one netlink message does all four).
	AttachMoved Step = "attach/moved"
	// AttachConfigured: name, MTU and MAC are right, also when Attach
	// converged a device it found already in the pod netns.
	AttachConfigured Step = "attach/configured"
	AttachAddresses  Step = "attach/addresses"
	AttachUp         Step = "attach/up"
	AttachRoutes     Step = "attach/routes"
	// DetachMoved: the device is back on the host with its original name,
	// MTU, MAC and up state (one netlink message).
	DetachMoved Step = "detach/moved"
	// DetachRestored: a device found on the host was set back to its
	// original state in place.
	DetachRestored Step = "detach/restored"
)

// StepHook runs after each Step. An error aborts the operation there and is
// returned, leaving the device as a crash at that point would: it exists for
// fault-injection tests.
type StepHook func(step Step) error

// Option configures a Host.
type Option func(*Host)

// WithStepHook installs hook (nil: none).
func WithStepHook(hook StepHook) Option {
	return func(h *Host) { h.hook = hook }
}

// processNetnsPath names the namespace of the process (its main thread), not
// of whichever OS thread happens to run the caller.
const processNetnsPath = "/proc/self/ns/net"

// OpenHost opens the network namespace the process runs in.
func OpenHost(opts ...Option) (*Host, error) {
	return OpenHostAt(processNetnsPath, opts...)
}

// OpenHostAt opens the network namespace at path (e.g. /var/run/netns/node1)
// as the host.
func OpenHostAt(path string, opts ...Option) (*Host, error) {
	ns, err := openNetns(path)
	if err != nil {
		return nil, fmt.Errorf("opening host netns: %w", err)
	}
	c, err := openConn(ns, path, true)
	if err != nil {
		return nil, errors.Join(err, ns.Close())
	}
	h := &Host{path: path, ns: ns, conn: c}
	for _, opt := range opts {
		opt(h)
	}
	return h, nil
}

// Close releases the host's sockets and namespace handle.
func (h *Host) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.conn.Close()
	if err := h.ns.Close(); err != nil {
		return fmt.Errorf("closing host netns %s: %w", h.path, err)
	}
	return nil
}

func (h *Host) step(step Step) error {
	if h.hook == nil {
		return nil
	}
	if err := h.hook(step); err != nil {
		return fmt.Errorf("step hook after %s: %w", step, err)
	}
	return nil
}

func (h *Host) find(id identity, names ...string) (netlink.Link, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conn.find(id, names...)
}

func (h *Host) setDown(link netlink.Link) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conn.handle.LinkSetDown(link)
}

func (h *Host) checkNameFree(name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return checkNameFree(h.conn, name)
}
