package netdev

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/pkg/plan"
)

// Attach carries out d's plan: it moves the device into the network namespace
// at podNetnsPath and configures it there: name, MTU and MAC in the same
// message as the move, then addresses, up, routes. In plan.ModeVLAN it creates
// a VLAN sub-interface of the device there instead (see vlan.go); a VF plan's
// settings go on the PF before the VF moves (see vf.go).
//
// It converges: when the device is already in the pod namespace (a repeated
// hook, or a crash after the move) it fixes whatever differs, adds missing
// addresses and routes, tolerates those present and returns nil.
func (h *Host) Attach(ctx context.Context, d plan.Device, podNetnsPath string) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("attaching %s to %s: %w", d.Host, podNetnsPath, err)
	}
	start := time.Now()
	ap, err := parseAttachPlan(d)
	if err != nil {
		return fmt.Errorf("attaching %s to %s: %w", d.Host, podNetnsPath, err)
	}
	pod, err := openPodConn(podNetnsPath)
	if err != nil {
		return fmt.Errorf("attaching %s: %w", d.Host, err)
	}
	defer func() { err = errors.Join(err, closePodConn(pod)) }()

	if err := h.applyVFSettings(d, ap); err != nil {
		return err
	}
	place := h.placeInPod
	if ap.vlan != nil {
		place = h.placeVLANInPod
	}
	link, err := place(d.Host, ap, pod)
	if err != nil {
		return err
	}
	if err := h.configureInPod(d.Host, ap, pod, link); err != nil {
		return err
	}
	logr.FromContextOrDiscard(ctx).V(4).Info("Attached network device", "device", d.Host.String(),
		"netns", podNetnsPath, "name", ap.want.name, "duration", time.Since(start))
	return nil
}

// attachPlan is a plan.Device parsed and checked before anything is touched.
type attachPlan struct {
	want desiredLink
	id   identity
	ip   ipConfig
	// vlan, when set, creates a sub-interface instead of moving the device.
	vlan  *vlanPlan
	vrf   *vrfPlan
	rules []netlink.Rule
}

func parseAttachPlan(d plan.Device) (attachPlan, error) {
	if err := validateIfName(d.Target.Name); err != nil {
		return attachPlan{}, fmt.Errorf("target interface name: %w", err)
	}
	if d.Target.MTU < 0 {
		return attachPlan{}, fmt.Errorf("target MTU %d is negative", d.Target.MTU)
	}
	want := desiredLink{name: d.Target.Name, mtu: d.Target.MTU, admin: adminUp}
	if d.Target.HardwareAddr != "" {
		mac, err := net.ParseMAC(d.Target.HardwareAddr)
		if err != nil {
			return attachPlan{}, fmt.Errorf("target hardware address %q: %w", d.Target.HardwareAddr, err)
		}
		want.mac = mac
	}
	id, err := newIdentity(d.Host, nil, want.mac)
	if err != nil {
		return attachPlan{}, err
	}
	ip, err := parseIPConfig(d)
	if err != nil {
		return attachPlan{}, err
	}
	vlan, err := parseVLAN(subInterfaceVLAN(d))
	if err != nil {
		return attachPlan{}, err
	}
	vrf, err := parseVRF(d.VRF)
	if err != nil {
		return attachPlan{}, err
	}
	rules, err := parseRules(d.Rules)
	if err != nil {
		return attachPlan{}, err
	}
	return attachPlan{want: want, id: id, ip: ip, vlan: vlan, vrf: vrf, rules: rules}, nil
}

// validateIfName applies the kernel's rules for interface names
// (dev_valid_name), so a bad name fails before the device is moved.
func validateIfName(name string) error {
	switch {
	case name == "":
		return errors.New("is empty")
	case len(name) > unix.IFNAMSIZ-1:
		return fmt.Errorf("%q is longer than %d bytes", name, unix.IFNAMSIZ-1)
	case name == "." || name == "..":
		return fmt.Errorf("%q is not allowed", name)
	case strings.ContainsAny(name, "/: \t\n\v\f\r"):
		return fmt.Errorf("%q contains '/', ':' or white space", name)
	}
	return nil
}

// placeInPod moves the device from the host into the pod namespace, or finds
// it there already, and returns it as the pod namespace sees it.
func (h *Host) placeInPod(ref plan.HostLink, ap attachPlan, pod *conn) (netlink.Link, error) {
	want := ap.want
	onHost, err := h.find(ap.id, ref.Name)
	switch {
	case errors.Is(err, errNotFound):
		// Not on the host: a previous Attach may have moved it already.
		link, err := pod.find(ap.id, want.name, ref.Name)
		if errors.Is(err, errNotFound) {
			return nil, fmt.Errorf("attaching %s to %s: found neither in host netns %s nor in the pod netns",
				ref, pod.path, h.path)
		}
		if err != nil {
			return nil, fmt.Errorf("attaching %s to %s: %w", ref, pod.path, err)
		}
		return link, nil
	case err != nil:
		return nil, fmt.Errorf("attaching %s to %s: %w", ref, pod.path, err)
	}

	// The move and the rename are one message but not one transaction:
	// with the name taken the kernel would move the device and then fail
	// the rename, stranding it in the pod under its host name.
	if err := checkNameFree(pod, want.name); err != nil {
		return nil, fmt.Errorf("moving %s into %s as %s: %w; choose another interface name", ref, pod.path, want.name, err)
	}
	move := linkChange{
		index:   onHost.Attrs().Index,
		netnsFd: int(pod.ns),
		name:    want.name,
		mtu:     want.mtu,
		mac:     changedMAC(want.mac, onHost),
	}
	if err := h.conn.apply(move); err != nil {
		return nil, fmt.Errorf("moving %s into %s as %s: %w", ref, pod.path, want.name, err)
	}
	if err := h.step(AttachMoved); err != nil {
		return nil, err
	}
	// The kernel keeps the ifindex across a move only when it is free in
	// the pod namespace, so look the device up again there.
	link, err := pod.linkByName(want.name)
	if err != nil {
		return nil, fmt.Errorf("finding %s in %s after moving it there as %s: %w", ref, pod.path, want.name, err)
	}
	return link, nil
}

// configureInPod brings the device in the pod namespace to the desired name,
// MTU, MAC, addresses, up state and routes, in the order the kernel needs.
func (h *Host) configureInPod(ref plan.HostLink, ap attachPlan, pod *conn, link netlink.Link) error {
	want := ap.want
	where := fmt.Sprintf("%s (%s in %s)", want.name, ref, pod.path)
	// Up comes after the addresses, so leave it out of this change.
	ch, downFirst := changeFor(link, desiredLink{name: want.name, mtu: want.mtu, mac: want.mac})
	if ch.name != "" {
		if err := checkNameFree(pod, ch.name); err != nil {
			return fmt.Errorf("renaming %s to %s: %w; choose another interface name", link.Attrs().Name, where, err)
		}
	}
	if downFirst {
		if err := pod.handle.LinkSetDown(link); err != nil {
			return fmt.Errorf("setting %s down to reconfigure it: %w", where, err)
		}
	}
	if !ch.empty() {
		if err := pod.apply(ch); err != nil {
			return fmt.Errorf("setting name, MTU and MAC of %s: %w", where, err)
		}
	}
	if err := h.step(AttachConfigured); err != nil {
		return err
	}
	if err := pod.joinVRF(link, ap.vrf); err != nil {
		return fmt.Errorf("joining %s to its VRF: %w", where, err)
	}
	if err := h.step(AttachVRFJoined); err != nil {
		return err
	}
	if err := pod.addAddresses(link, ap.ip.addresses); err != nil {
		return fmt.Errorf("adding addresses to %s: %w", where, err)
	}
	if err := h.step(AttachAddresses); err != nil {
		return err
	}
	if err := pod.handle.LinkSetUp(link); err != nil {
		return fmt.Errorf("setting %s up: %w", where, err)
	}
	if err := h.step(AttachUp); err != nil {
		return err
	}
	if err := pod.addRoutes(link, ap.ip.routes); err != nil {
		return fmt.Errorf("adding routes to %s: %w", where, err)
	}
	if err := h.step(AttachRoutes); err != nil {
		return err
	}
	if err := pod.addRules(ap.rules); err != nil {
		return fmt.Errorf("adding rules for %s: %w", where, err)
	}
	return h.step(AttachRules)
}

// checkNameFree fails, naming the holder, when a device called name exists in
// c's namespace.
func checkNameFree(c *conn, name string) error {
	holder, err := c.linkByName(name)
	if errors.Is(err, errNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	attrs := holder.Attrs()
	return fmt.Errorf("name %s is already taken in netns %s by another device (index %d, type %s, MAC %s)",
		name, c.path, attrs.Index, holder.Type(), attrs.HardwareAddr)
}
