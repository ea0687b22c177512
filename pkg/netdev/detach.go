package netdev

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-logr/logr"
	"github.com/vishvananda/netlink"
)

// Detach moves the device from the pod namespace back to the host and
// restores orig: name, MTU, MAC and up/down state.
//
// Addresses and routes are not removed first: the kernel drops a device's
// IPv4 and IPv6 addresses (and with them its routes) when it leaves a
// namespace, and closes it, so one message does the whole job.
//
// It converges like Attach. When the device is not in the pod namespace
// (detached already, or the namespace is gone) Detach looks for it on the
// host, by PCI address or MAC as well as by name, and restores it in place:
// the kernel returns physical devices and VFs from a destroyed namespace to
// the initial namespace, renamed devN when their name is taken there. Only
// the host namespace is searched, so this works when the host is the initial
// namespace (the plugin runs with hostNetwork); with a simulated node
// namespace a returned physical device would be reported gone. When the
// device is nowhere, Detach returns an error wrapping ErrDeviceGone, which
// callers treat as done.
func (h *Host) Detach(ctx context.Context, spec AttachSpec, orig Original, podNetnsPath string) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("detaching %s from %s: %w", spec.Link, podNetnsPath, err)
	}
	if spec.VLAN != nil {
		return h.detachVLAN(ctx, spec, orig, podNetnsPath)
	}
	start := time.Now()
	want, id, err := parseDetachSpec(spec, orig)
	if err != nil {
		return fmt.Errorf("detaching %s from %s: %w", spec.Link, podNetnsPath, err)
	}
	log := logr.FromContextOrDiscard(ctx)
	defer func() {
		if err == nil {
			log.V(4).Info("Detached network device", "device", spec.Link.String(), "netns", podNetnsPath,
				"name", want.name, "duration", time.Since(start))
		}
	}()
	// Deferred after the log so that the log sees the VF's outcome too.
	finishVF := h.restoreVFForDetach(spec, orig)
	defer func() { err = finishVF(err) }()

	pod, err := openPodConn(podNetnsPath)
	if errors.Is(err, errNetnsGone) {
		log.V(4).Info("Pod netns is gone, looking for the device on the host", "device", spec.Link.String(), "netns", podNetnsPath)
		return h.restoreOnHost(spec, want, id, podNetnsPath, err)
	}
	if err != nil {
		return fmt.Errorf("detaching %s: %w", spec.Link, err)
	}
	defer func() { err = errors.Join(err, closePodConn(pod)) }()

	link, err := pod.find(id, spec.Target.Name)
	if errors.Is(err, errNotFound) {
		return h.restoreOnHost(spec, want, id, podNetnsPath, nil)
	}
	if err != nil {
		return fmt.Errorf("detaching %s from %s: %w", spec.Link, podNetnsPath, err)
	}
	if err := pod.undoPodRouting(spec, link); err != nil {
		return fmt.Errorf("detaching %s: %w", spec.Link, err)
	}
	return h.moveToHost(spec, want, pod, link)
}

// parseDetachSpec returns the state to restore and an identity that also
// recognises the device by the MAC it had in the pod (a VF the kernel
// returned from a destroyed netns keeps it).
func parseDetachSpec(spec AttachSpec, orig Original) (desiredLink, identity, error) {
	if orig.Name == "" {
		return desiredLink{}, identity{}, errors.New("original state has no interface name; was it snapshotted?")
	}
	want := desiredLink{name: orig.Name, mtu: orig.MTU, admin: adminStateOf(orig.Up)}
	if orig.HardwareAddr != "" {
		mac, err := net.ParseMAC(orig.HardwareAddr)
		if err != nil {
			return desiredLink{}, identity{}, fmt.Errorf("original hardware address %q: %w", orig.HardwareAddr, err)
		}
		want.mac = mac
	}
	var targetMAC net.HardwareAddr
	if spec.Target.HardwareAddr != "" {
		mac, err := net.ParseMAC(spec.Target.HardwareAddr)
		if err != nil {
			return desiredLink{}, identity{}, fmt.Errorf("target hardware address %q: %w", spec.Target.HardwareAddr, err)
		}
		targetMAC = mac
	}
	id, err := newIdentity(spec.Link, []net.HardwareAddr{want.mac}, targetMAC)
	return want, id, err
}

// moveToHost returns the device in one message: move, original name, MTU,
// MAC and, when it was up, up (do_setlink changes flags last, after the move
// closed the device and the MAC and MTU were set).
func (h *Host) moveToHost(spec AttachSpec, want desiredLink, pod *conn, link netlink.Link) error {
	inPod := link.Attrs().Name
	// Checked first because the kernel would move the device and then
	// fail the rename, leaving it on the host under its pod name.
	if err := h.checkNameFree(want.name); err != nil {
		return fmt.Errorf("moving %s from %s back to the host as %s: %w; rename or remove that device", inPod, pod.path, want.name, err)
	}
	move := linkChange{
		index:   link.Attrs().Index,
		netnsFd: int(h.ns),
		name:    want.name,
		mtu:     want.mtu,
		mac:     want.mac,
	}
	// The move closes the device, so only "up" needs saying.
	if want.admin == adminUp {
		move.admin = adminUp
	}
	if err := pod.apply(move); err != nil {
		return fmt.Errorf("moving %s from %s back to host netns %s as %s: %w", inPod, pod.path, h.path, want.name, err)
	}
	return h.step(DetachMoved)
}

// restoreOnHost finds the device on the host and sets whatever differs from
// the original state; nothing when it is restored already. podGone says why
// the pod netns could not be searched, nil when it was.
func (h *Host) restoreOnHost(spec AttachSpec, want desiredLink, id identity, podNetnsPath string, podGone error) error {
	link, err := h.find(id, want.name, spec.Target.Name)
	if errors.Is(err, errNotFound) && podGone != nil {
		return fmt.Errorf("detaching %s: not in host netns %s, and %w: %w", spec.Link, h.path, podGone, ErrDeviceGone)
	}
	if errors.Is(err, errNotFound) {
		return fmt.Errorf("detaching %s: found neither in pod netns %s nor in host netns %s: %w",
			spec.Link, podNetnsPath, h.path, ErrDeviceGone)
	}
	if err != nil {
		return fmt.Errorf("detaching %s: %w", spec.Link, err)
	}
	ch, downFirst := changeFor(link, want)
	if ch.empty() {
		return nil
	}
	current := link.Attrs().Name
	if ch.name != "" {
		if err := h.checkNameFree(ch.name); err != nil {
			return fmt.Errorf("restoring %s on host netns %s as %s: %w; rename or remove that device", current, h.path, ch.name, err)
		}
	}
	if downFirst {
		if err := h.setDown(link); err != nil {
			return fmt.Errorf("setting %s down on host netns %s to restore it: %w", current, h.path, err)
		}
	}
	if err := h.conn.apply(ch); err != nil {
		return fmt.Errorf("restoring %s on host netns %s as %s: %w", current, h.path, want.name, err)
	}
	return h.step(DetachRestored)
}
