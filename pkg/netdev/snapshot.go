package netdev

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
)

// Snapshot reads the device's current state on the host. Call it before
// Attach and persist the result before attaching: Detach needs it to restore
// the device, also after a crash.
func (h *Host) Snapshot(ref LinkRef) (Original, error) {
	id, err := newIdentity(ref, nil)
	if err != nil {
		return Original{}, err
	}
	link, err := h.find(id, ref.Name)
	if errors.Is(err, errNotFound) {
		return Original{}, fmt.Errorf("snapshot of %s: not found in host netns %s", ref, h.path)
	}
	if err != nil {
		return Original{}, fmt.Errorf("snapshot of %s: %w", ref, err)
	}
	return originalOf(link), nil
}

func originalOf(link netlink.Link) Original {
	attrs := link.Attrs()
	orig := Original{
		Name:  attrs.Name,
		Index: attrs.Index,
		MTU:   attrs.MTU,
		Up:    attrs.Flags&net.FlagUp != 0,
	}
	if len(attrs.HardwareAddr) > 0 {
		orig.HardwareAddr = attrs.HardwareAddr.String()
	}
	return orig
}
