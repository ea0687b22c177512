package netdev

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/go-logr/logr"
	"github.com/vishvananda/netlink"
)

// VLAN is the tag of a VLAN sub-interface. Protocol is "802.1Q" (the default
// when empty) or "802.1ad"; QoS is the 802.1p priority (0..7) of the frames
// the sub-interface sends.
type VLAN struct {
	ID       int
	QoS      int
	Protocol string
}

// Steps of an attach or detach in VLAN mode (see Step).
const (
	// AttachParentUp: the parent is up on the host.
	AttachParentUp Step = "attach/parent-up"
	// AttachVLANCreated: the sub-interface exists in the pod netns with its
	// target name, MTU and MAC, still down.
	AttachVLANCreated Step = "attach/vlan-created"
	// DetachVLANDeleted: the sub-interface is gone from the pod netns; the
	// parent's up state is not restored yet.
	DetachVLANDeleted Step = "detach/vlan-deleted"
)

// maxVLANQoS is the largest 802.1p priority (3 bits).
const maxVLANQoS = 7

// vlanPlan is a VLAN parsed and checked before anything is touched.
type vlanPlan struct {
	id       int
	protocol netlink.VlanProtocol
	// protocolName is the protocol as the API spells it, for messages.
	protocolName string
	qos          int
}

func parseVLAN(v *VLAN) (*vlanPlan, error) {
	if v == nil {
		return nil, nil
	}
	if v.ID < 1 || v.ID > 4094 {
		return nil, fmt.Errorf("VLAN ID %d is outside 1..4094", v.ID)
	}
	if v.QoS < 0 || v.QoS > maxVLANQoS {
		return nil, fmt.Errorf("VLAN QoS %d is outside 0..%d", v.QoS, maxVLANQoS)
	}
	p := &vlanPlan{id: v.ID, qos: v.QoS, protocolName: v.Protocol}
	switch v.Protocol {
	case "", "802.1Q":
		p.protocol = netlink.VLAN_PROTOCOL_8021Q
		p.protocolName = "802.1Q"
	case "802.1ad":
		p.protocol = netlink.VLAN_PROTOCOL_8021AD
	default:
		return nil, fmt.Errorf("VLAN protocol %q: want 802.1Q or 802.1ad", v.Protocol)
	}
	return p, nil
}

func (v *vlanPlan) String() string {
	return fmt.Sprintf("VLAN %d (%s)", v.id, v.protocolName)
}

// egressQoSMap maps every socket priority a process can set without
// privileges, and every TC_PRIO_* value the stack assigns (0..7), to the
// configured 802.1p priority. The kernel tags a frame with the PCP of the
// entry for its exact skb priority, and with 0 when there is none, so a
// single entry for priority 0 would leave e.g. interactive traffic
// (TC_PRIO_INTERACTIVE, 6) untagged.
func (v *vlanPlan) egressQoSMap() map[uint32]uint32 {
	if v.qos == 0 {
		return nil
	}
	m := make(map[uint32]uint32, maxVLANQoS+1)
	for prio := range uint32(maxVLANQoS + 1) {
		m[prio] = uint32(v.qos)
	}
	return m
}

// newLink describes the sub-interface to create: on parentIndex (resolved in
// the namespace of the socket that sends the request, the host), inside the
// pod namespace podNs, with the target name, MTU and MAC. Zero MTU and no MAC
// inherit the parent's. Creating it inside the pod in one RTM_NEWLINK saves
// the netns move, whose rcu_barrier costs milliseconds under RTNL.
func (v *vlanPlan) newLink(want desiredLink, parentIndex int, podNs int) *netlink.Vlan {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = want.name
	attrs.MTU = want.mtu
	attrs.HardwareAddr = want.mac
	attrs.ParentIndex = parentIndex
	attrs.Namespace = netlink.NsFd(podNs)
	return &netlink.Vlan{LinkAttrs: attrs, VlanId: v.id, VlanProtocol: v.protocol, EgressQosMap: v.egressQoSMap()}
}

// matches reports whether link is this VLAN on the parent with parentIndex
// (in the parent's namespace, which is what a sub-interface in another
// namespace reports as its link).
func (v *vlanPlan) matches(link netlink.Link, parentIndex int) bool {
	vl, ok := link.(*netlink.Vlan)
	return ok && vl.VlanId == v.id && vl.VlanProtocol == v.protocol && vl.ParentIndex == parentIndex
}

// placeVLANInPod creates the VLAN sub-interface of the device in the pod
// namespace, or finds it there already, and returns it as the pod sees it.
// The device itself, the parent, stays on the host and is brought up first:
// the kernel refuses to bring a VLAN up on a down parent (ENETDOWN).
func (h *Host) placeVLANInPod(ref LinkRef, plan attachPlan, pod *conn) (netlink.Link, error) {
	want := plan.want
	what := fmt.Sprintf("%s on %s as %s in %s", plan.vlan, ref, want.name, pod.path)
	parent, err := h.findParent(ref)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", what, err)
	}
	parentIndex := parent.Attrs().Index
	existing, err := pod.linkByName(want.name)
	switch {
	case err == nil && !plan.vlan.matches(existing, parentIndex):
		return nil, fmt.Errorf("creating %s: %w; choose another interface name", what, checkNameFree(pod, want.name))
	case err != nil && !errors.Is(err, errNotFound):
		return nil, fmt.Errorf("creating %s: %w", what, err)
	}
	// Also when the VLAN exists: something may have set the parent down
	// since, and the VLAN cannot go up without it.
	if err := h.setUpIfDown(parent); err != nil {
		return nil, fmt.Errorf("creating %s: setting the parent up on host netns %s: %w", what, h.path, err)
	}
	if err := h.step(AttachParentUp); err != nil {
		return nil, err
	}
	if existing != nil {
		// A repeated hook, or a crash after the create: configureInPod
		// converges the rest.
		return existing, nil
	}
	if err := h.linkAdd(plan.vlan.newLink(want, parentIndex, int(pod.ns))); err != nil {
		return nil, fmt.Errorf("creating %s: %w", what, err)
	}
	if err := h.step(AttachVLANCreated); err != nil {
		return nil, err
	}
	link, err := pod.linkByName(want.name)
	if err != nil {
		return nil, fmt.Errorf("finding %s after creating it: %w", what, err)
	}
	return link, nil
}

// findParent finds the VLAN's parent on the host. It never leaves the host,
// so its host name is the place to look first; the identity (PCI address,
// MAC) finds it when something renamed it.
func (h *Host) findParent(ref LinkRef) (netlink.Link, error) {
	id, err := newIdentity(ref, nil)
	if err != nil {
		return nil, err
	}
	parent, err := h.find(id, ref.Name)
	if errors.Is(err, errNotFound) {
		return nil, fmt.Errorf("parent device %s not in host netns %s: %w", ref, h.path, errNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("parent device %s: %w", ref, err)
	}
	return parent, nil
}

// detachVLAN deletes the sub-interface from the pod namespace (undoing its
// rules and VRF there first) and restores the parent's original state on the
// host. A pod namespace that is gone took the sub-interface with it: the
// kernel destroys virtual devices with their namespace, so that is not an
// error, and the parent is still restored.
func (h *Host) detachVLAN(ctx context.Context, spec AttachSpec, orig Original, podNetnsPath string) error {
	vlan, err := parseVLAN(spec.VLAN)
	if err != nil {
		return fmt.Errorf("detaching %s from %s: %w", spec.Link, podNetnsPath, err)
	}
	pod, err := openPodConn(podNetnsPath)
	switch {
	case errors.Is(err, errNetnsGone):
		logr.FromContextOrDiscard(ctx).V(4).Info("Pod netns is gone and the VLAN with it, restoring the parent",
			"device", spec.Link.String(), "netns", podNetnsPath)
	case err != nil:
		return fmt.Errorf("detaching %s on %s: %w", vlan, spec.Link, err)
	default:
		deleted := h.deleteVLANFromPod(spec, vlan, pod)
		if err := errors.Join(deleted, closePodConn(pod)); err != nil {
			return err
		}
	}
	return h.restoreParent(spec, orig)
}

// deleteVLANFromPod deletes our sub-interface; a device under the target name
// that is not ours is left alone and reported.
func (h *Host) deleteVLANFromPod(spec AttachSpec, vlan *vlanPlan, pod *conn) error {
	what := fmt.Sprintf("%s on %s (%s in %s)", vlan, spec.Link, spec.Target.Name, pod.path)
	link, err := pod.linkByName(spec.Target.Name)
	if errors.Is(err, errNotFound) {
		// Deleted by an earlier Detach, or the parent went away and the
		// kernel deleted its VLANs: only the pod's routing may be left.
		return pod.undoPodRouting(spec, nil)
	}
	if err != nil {
		return fmt.Errorf("detaching %s: %w", what, err)
	}
	parent, err := h.findParent(spec.Link)
	if err != nil {
		return fmt.Errorf("detaching %s: %w", what, err)
	}
	if !vlan.matches(link, parent.Attrs().Index) {
		return fmt.Errorf("detaching %s: %s in the pod is a %s device that is not this VLAN; leaving it alone", what, spec.Target.Name, link.Type())
	}
	if err := pod.undoPodRouting(spec, link); err != nil {
		return fmt.Errorf("detaching %s: %w", what, err)
	}
	if err := pod.handle.LinkDel(link); err != nil {
		return fmt.Errorf("deleting %s: %w", what, err)
	}
	return h.step(DetachVLANDeleted)
}

// restoreParent sets the parent back to its original state, which in
// practice is its up state: attach changes nothing else on it.
func (h *Host) restoreParent(spec AttachSpec, orig Original) error {
	if orig.Name == "" {
		return fmt.Errorf("restoring parent %s: original state has no interface name; was it snapshotted?", spec.Link)
	}
	want := desiredLink{name: orig.Name, mtu: orig.MTU, admin: adminStateOf(orig.Up)}
	if orig.HardwareAddr != "" {
		mac, err := net.ParseMAC(orig.HardwareAddr)
		if err != nil {
			return fmt.Errorf("restoring parent %s: original hardware address %q: %w", spec.Link, orig.HardwareAddr, err)
		}
		want.mac = mac
	}
	parent, err := h.findParent(spec.Link)
	if errors.Is(err, errNotFound) {
		// Unplugged, and its VLANs deleted with it: nothing to restore.
		return fmt.Errorf("restoring %w: %w", err, ErrDeviceGone)
	}
	if err != nil {
		return fmt.Errorf("restoring %w", err)
	}
	ch, downFirst := changeFor(parent, want)
	if ch.empty() {
		return nil
	}
	if downFirst {
		if err := h.setDown(parent); err != nil {
			return fmt.Errorf("setting parent %s down on host netns %s to restore it: %w", spec.Link, h.path, err)
		}
	}
	if err := h.applyOnHost(ch); err != nil {
		return fmt.Errorf("restoring parent %s on host netns %s: %w", spec.Link, h.path, err)
	}
	return h.step(DetachRestored)
}

func (h *Host) setUpIfDown(link netlink.Link) error {
	if link.Attrs().Flags&net.FlagUp != 0 {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conn.handle.LinkSetUp(link)
}

func (h *Host) linkAdd(link netlink.Link) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conn.handle.LinkAdd(link)
}

// applyOnHost sends ch on the host's raw socket, which needs no lock (see
// Host.mu); it exists so that callers read the same as the other helpers.
func (h *Host) applyOnHost(ch linkChange) error {
	return h.conn.apply(ch)
}
