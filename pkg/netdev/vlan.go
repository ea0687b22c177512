package netdev

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/go-logr/logr"
	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/plan"
)

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
	qos      int
}

// parseVLAN checks a sub-interface's tag. QoS is the 802.1p priority (0..7) of the frames
// the sub-interface sends.
func parseVLAN(v *plan.VLAN) (*vlanPlan, error) {
	if v == nil {
		return nil, nil
	}
	if v.ID < 1 || v.ID > 4094 {
		return nil, fmt.Errorf("VLAN ID %d is outside 1..4094", v.ID)
	}
	if v.QoS < 0 || v.QoS > maxVLANQoS {
		return nil, fmt.Errorf("VLAN QoS %d is outside 0..%d", v.QoS, maxVLANQoS)
	}
	proto, err := parseVLANProtocol(v.Protocol)
	if err != nil {
		return nil, err
	}
	return &vlanPlan{id: v.ID, qos: v.QoS, protocol: proto}, nil
}

// parseVLANProtocol reads a VLAN protocol as the API spells it; empty means 802.1Q. It is
// the one parser of them here, for sub-interfaces and VFs' hardware VLANs alike.
func parseVLANProtocol(name string) (netlink.VlanProtocol, error) {
	switch name {
	case "", plan.VLANProtocol8021Q:
		return netlink.VLAN_PROTOCOL_8021Q, nil
	case plan.VLANProtocol8021AD:
		return netlink.VLAN_PROTOCOL_8021AD, nil
	}
	return 0, fmt.Errorf("VLAN protocol %q: want %s or %s", name, plan.VLANProtocol8021Q, plan.VLANProtocol8021AD)
}

// vlanProtocolName names a VLAN protocol (an ethertype) as the API spells it, for
// messages and snapshots.
func vlanProtocolName(proto netlink.VlanProtocol) string {
	switch proto {
	case netlink.VLAN_PROTOCOL_8021Q:
		return plan.VLANProtocol8021Q
	case netlink.VLAN_PROTOCOL_8021AD:
		return plan.VLANProtocol8021AD
	}
	return "0x" + strconv.FormatInt(int64(proto), 16)
}

func (v *vlanPlan) String() string {
	return fmt.Sprintf("VLAN %d (%s)", v.id, vlanProtocolName(v.protocol))
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
func (h *Host) placeVLANInPod(ref plan.HostLink, ap attachPlan, pod *conn) (netlink.Link, error) {
	want := ap.want
	what := fmt.Sprintf("%s on %s as %s in %s", ap.vlan, ref, want.name, pod.path)
	parent, err := h.findParent(ref)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", what, err)
	}
	parentIndex := parent.Attrs().Index
	existing, err := pod.linkByName(want.name)
	switch {
	case err == nil && !ap.vlan.matches(existing, parentIndex):
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
	if err := h.linkAdd(ap.vlan.newLink(want, parentIndex, int(pod.ns))); err != nil {
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
func (h *Host) findParent(ref plan.HostLink) (netlink.Link, error) {
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
func (h *Host) detachVLAN(ctx context.Context, d plan.Device, tag *plan.VLAN, orig plan.Original, podNetnsPath string) error {
	vlan, err := parseVLAN(tag)
	if err != nil {
		return fmt.Errorf("detaching %s from %s: %w", d.Host, podNetnsPath, err)
	}
	pod, err := openPodConn(podNetnsPath)
	switch {
	case errors.Is(err, errNetnsGone):
		logr.FromContextOrDiscard(ctx).V(4).Info("Pod netns is gone and the VLAN with it, restoring the parent",
			"device", d.Host.String(), "netns", podNetnsPath)
	case err != nil:
		return fmt.Errorf("detaching %s on %s: %w", vlan, d.Host, err)
	default:
		deleted := h.deleteVLANFromPod(d, vlan, pod)
		if err := errors.Join(deleted, closePodConn(pod)); err != nil {
			return err
		}
	}
	return h.restoreParent(d.Host, orig)
}

// deleteVLANFromPod deletes our sub-interface; a device under the target name
// that is not ours is left alone and reported.
func (h *Host) deleteVLANFromPod(d plan.Device, vlan *vlanPlan, pod *conn) error {
	what := fmt.Sprintf("%s on %s (%s in %s)", vlan, d.Host, d.Target.Name, pod.path)
	link, err := pod.linkByName(d.Target.Name)
	if errors.Is(err, errNotFound) {
		// Deleted by an earlier Detach, or the parent went away and the
		// kernel deleted its VLANs: only the pod's routing may be left.
		return pod.undoPodRouting(d, nil)
	}
	if err != nil {
		return fmt.Errorf("detaching %s: %w", what, err)
	}
	parent, err := h.findParent(d.Host)
	if err != nil {
		return fmt.Errorf("detaching %s: %w", what, err)
	}
	if !vlan.matches(link, parent.Attrs().Index) {
		return fmt.Errorf("detaching %s: %s in the pod is a %s device that is not this VLAN; leaving it alone", what, d.Target.Name, link.Type())
	}
	if err := pod.undoPodRouting(d, link); err != nil {
		return fmt.Errorf("detaching %s: %w", what, err)
	}
	if err := pod.handle.LinkDel(link); err != nil {
		return fmt.Errorf("deleting %s: %w", what, err)
	}
	return h.step(DetachVLANDeleted)
}

// restoreParent sets the parent back to its original state, which in
// practice is its up state: attach changes nothing else on it.
func (h *Host) restoreParent(ref plan.HostLink, orig plan.Original) error {
	want, err := restoredLink(orig)
	if err != nil {
		return fmt.Errorf("restoring parent %s: %w", ref, err)
	}
	parent, err := h.findParent(ref)
	if errors.Is(err, errNotFound) {
		// Unplugged, and its VLANs deleted with it: nothing to restore.
		return fmt.Errorf("restoring %w: %w", err, ErrDeviceGone)
	}
	if err != nil {
		return fmt.Errorf("restoring %w", err)
	}
	restored, err := h.restoreInPlace(parent, want, refuseAll)
	if err != nil {
		return fmt.Errorf("restoring parent %s: %w", ref, err)
	}
	if !restored {
		return nil
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
