package netdev

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-logr/logr"
	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/plan"
)

// Detach undoes Attach of d: it moves the device from the pod namespace back
// to the host and restores orig: name, MTU, MAC and up/down state.
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
func (h *Host) Detach(ctx context.Context, d plan.Device, orig plan.Original, podNetnsPath string) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("detaching %s from %s: %w", d.Host, podNetnsPath, err)
	}
	if vlan := subInterfaceVLAN(d); vlan != nil {
		return h.detachVLAN(ctx, d, vlan, orig, podNetnsPath)
	}
	start := time.Now()
	want, id, err := parseDetachPlan(d, orig)
	if err != nil {
		return fmt.Errorf("detaching %s from %s: %w", d.Host, podNetnsPath, err)
	}
	log := logr.FromContextOrDiscard(ctx)
	defer func() {
		if err == nil {
			log.V(4).Info("Detached network device", "device", d.Host.String(), "netns", podNetnsPath,
				"name", want.name, "duration", time.Since(start))
		}
	}()
	// Deferred after the log so that the log sees the VF's outcome too.
	finishVF := h.restoreVFForDetach(d, orig)
	defer func() { err = finishVF(err) }()

	pod, err := openPodConn(podNetnsPath)
	if errors.Is(err, errNetnsGone) {
		log.V(4).Info("Pod netns is gone, looking for the device on the host", "device", d.Host.String(), "netns", podNetnsPath)
		return h.restoreOnHost(d, want, id, podNetnsPath, err)
	}
	if err != nil {
		return fmt.Errorf("detaching %s: %w", d.Host, err)
	}
	defer func() { err = errors.Join(err, closePodConn(pod)) }()

	link, err := pod.find(id, d.Target.Name)
	if errors.Is(err, errNotFound) {
		return h.restoreOnHost(d, want, id, podNetnsPath, nil)
	}
	if err != nil {
		return fmt.Errorf("detaching %s from %s: %w", d.Host, podNetnsPath, err)
	}
	if err := pod.undoPodRouting(d, link); err != nil {
		return fmt.Errorf("detaching %s: %w", d.Host, err)
	}
	return h.moveToHost(want, pod, link)
}

// parseDetachPlan returns the state to restore and an identity that also
// recognises the device by the MAC it had in the pod (a VF the kernel
// returned from a destroyed netns keeps it).
func parseDetachPlan(d plan.Device, orig plan.Original) (desiredLink, identity, error) {
	want, err := restoredLink(orig)
	if err != nil {
		return desiredLink{}, identity{}, err
	}
	var targetMAC net.HardwareAddr
	if d.Target.HardwareAddr != "" {
		mac, err := net.ParseMAC(d.Target.HardwareAddr)
		if err != nil {
			return desiredLink{}, identity{}, fmt.Errorf("target hardware address %q: %w", d.Target.HardwareAddr, err)
		}
		targetMAC = mac
	}
	id, err := newIdentity(d.Host, []net.HardwareAddr{want.mac}, targetMAC)
	return want, id, err
}

// moveToHost returns the device in one message: move, original name, MTU,
// MAC and, when it was up, up (do_setlink changes flags last, after the move
// closed the device and the MAC and MTU were set).
func (h *Host) moveToHost(want desiredLink, pod *conn, link netlink.Link) error {
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

// restoreOnHost finds the device on the host and restores it in place; nothing
// when it is restored already. podGone says why the pod netns could not be
// searched, nil when it was.
func (h *Host) restoreOnHost(d plan.Device, want desiredLink, id identity, podNetnsPath string, podGone error) error {
	link, err := h.find(id, want.name, d.Target.Name)
	if errors.Is(err, errNotFound) && podGone != nil {
		return fmt.Errorf("detaching %s: not in host netns %s, and %w: %w", d.Host, h.path, podGone, ErrDeviceGone)
	}
	if errors.Is(err, errNotFound) {
		return fmt.Errorf("detaching %s: found neither in pod netns %s nor in host netns %s: %w",
			d.Host, podNetnsPath, h.path, ErrDeviceGone)
	}
	if err != nil {
		return fmt.Errorf("detaching %s: %w", d.Host, err)
	}
	restored, err := h.restoreInPlace(link, want, refuseAll)
	if err != nil {
		return fmt.Errorf("detaching %s: %w", d.Host, err)
	}
	if !restored {
		return nil
	}
	return h.step(DetachRestored)
}
