package netdev

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/plan"
)

// Snapshot reads the device's current state on the host. Call it before
// Attach and persist the result before attaching: Detach needs it to restore
// the device, also after a crash. Prepare calls it too, before it rebinds a
// PCI device's driver (which destroys the netdev), for Restore.
func (h *Host) Snapshot(ref plan.HostLink) (plan.Original, error) {
	id, err := newIdentity(ref, nil)
	if err != nil {
		return plan.Original{}, err
	}
	link, err := h.find(id, ref.Name)
	if errors.Is(err, errNotFound) {
		return plan.Original{}, fmt.Errorf("snapshot of %s: not found in host netns %s", ref, h.path)
	}
	if err != nil {
		return plan.Original{}, fmt.Errorf("snapshot of %s: %w", ref, err)
	}
	return originalOf(link), nil
}

func originalOf(link netlink.Link) plan.Original {
	attrs := link.Attrs()
	orig := plan.Original{
		Name: attrs.Name,
		MTU:  attrs.MTU,
		Up:   attrs.Flags&net.FlagUp != 0,
	}
	if len(attrs.HardwareAddr) > 0 {
		orig.HardwareAddr = attrs.HardwareAddr.String()
	}
	return orig
}
