package netdev

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// Restore finds the device on the host and gives it orig's name, MTU, MAC and up state,
// leaving alone what matches already, so that repeating it converges. It is for a device
// whose netdev the kernel destroyed and created anew, as when its PCI driver was unbound
// and bound again: the new netdev has the kernel's next free name, a new MAC, the
// driver's default MTU and is down. ref finds it: give its PCI address, since neither
// its name nor its MAC is the old one. Nothing moves between namespaces.
//
// The MAC goes in a message of its own, after the name and MTU and before the up state:
// a VF can change its own MAC only while its PF has not pinned one, and that refusal must
// not keep the rest from being restored. Every failure is reported, joined.
func (h *Host) Restore(ctx context.Context, ref LinkRef, orig Original) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("restoring %s: %w", ref, err)
	}
	if orig.Name == "" {
		return fmt.Errorf("restoring %s: the recorded state has no interface name; was it snapshotted?", ref)
	}
	mac, err := parseOptionalMAC(orig.HardwareAddr)
	if err != nil {
		return fmt.Errorf("restoring %s: %w", ref, err)
	}
	// A device restored already has the recorded MAC: known, so that a repeated Restore
	// recognises it under the recorded name.
	id, err := newIdentity(ref, []net.HardwareAddr{mac})
	if err != nil {
		return err
	}
	link, err := h.find(id, orig.Name, ref.Name)
	if errors.Is(err, errNotFound) {
		return fmt.Errorf("restoring %s: not in host netns %s: %w", ref, h.path, ErrDeviceGone)
	}
	if err != nil {
		return fmt.Errorf("restoring %s: %w", ref, err)
	}
	want := desiredLink{name: orig.Name, mtu: orig.MTU, mac: mac, admin: adminStateOf(orig.Up)}
	ch, downFirst := changeFor(link, want)
	if ch.empty() {
		return nil
	}
	current := link.Attrs().Name
	var errs []error
	if ch.name != "" {
		if err := h.checkNameFree(ch.name); err != nil {
			errs = append(errs, fmt.Errorf("renaming %s (%s) back to %s: %w; rename or remove that device", current, ref, ch.name, err))
			ch.name = ""
		}
	}
	if downFirst {
		if err := h.setDown(link); err != nil {
			return errors.Join(append(errs, fmt.Errorf("setting %s (%s) down to restore it: %w", current, ref, err))...)
		}
	}
	if named := (linkChange{index: ch.index, netnsFd: -1, name: ch.name, mtu: ch.mtu}); !named.empty() {
		if err := h.conn.apply(named); err != nil {
			errs = append(errs, fmt.Errorf("restoring name %s and MTU %d of %s (%s): %w", orig.Name, orig.MTU, current, ref, err))
		} else if ch.name != "" {
			current = ch.name
		}
	}
	if len(ch.mac) > 0 {
		if err := h.conn.apply(linkChange{index: ch.index, netnsFd: -1, mac: ch.mac}); err != nil {
			errs = append(errs, fmt.Errorf("restoring MAC %s of %s (%s): %w (a VF can set its own MAC only while its PF pins none: "+
				"the PF's VF list shows the MAC it pins)", orig.HardwareAddr, current, ref, err))
		}
	}
	if ch.admin != adminKeep {
		if err := h.conn.apply(linkChange{index: ch.index, netnsFd: -1, admin: ch.admin}); err != nil {
			errs = append(errs, fmt.Errorf("setting %s (%s) %s: %w", current, ref, upOrDown(orig.Up), err))
		}
	}
	return errors.Join(errs...)
}

func upOrDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}
