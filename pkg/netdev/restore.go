package netdev

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/plan"
)

// Restore finds the device on the host and gives it orig's name, MTU, MAC and up state,
// leaving alone what matches already, so that repeating it converges. It is for a device
// whose netdev the kernel destroyed and created anew, as when its PCI driver was unbound
// and bound again: the new netdev has the kernel's next free name, a new MAC, the
// driver's default MTU and is down. ref finds it: give its PCI address, since neither
// its name nor its MAC is the old one. Nothing moves between namespaces.
//
// A name taken by another device is reported, and the MTU, MAC and up state are restored
// all the same (see restoreInPlace). Every failure is reported, joined.
func (h *Host) Restore(ctx context.Context, ref plan.HostLink, orig plan.Original) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("restoring %s: %w", ref, err)
	}
	want, err := restoredLink(orig)
	if err != nil {
		return fmt.Errorf("restoring %s: %w", ref, err)
	}
	// A device restored already has the recorded MAC: known, so that a repeated Restore
	// recognises it under the recorded name.
	id, err := newIdentity(ref, []net.HardwareAddr{want.mac})
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
	if _, err := h.restoreInPlace(link, want, restoreTheRest); err != nil {
		return fmt.Errorf("restoring %s: %w", ref, err)
	}
	return nil
}

// restoredLink is the state orig records, to restore.
func restoredLink(orig plan.Original) (desiredLink, error) {
	if orig.Name == "" {
		return desiredLink{}, errors.New("original state has no interface name; was it snapshotted?")
	}
	mac, err := parseOptionalMAC(orig.HardwareAddr)
	if err != nil {
		return desiredLink{}, err
	}
	return desiredLink{name: orig.Name, mtu: orig.MTU, mac: mac, admin: adminStateOf(orig.Up)}, nil
}

// nameTaken says what restoreInPlace does when another device on the host holds the name
// to restore.
type nameTaken int

const (
	// refuseAll changes nothing: Detach leaves the device under the name it has (its pod
	// name, or the kernel's devN) as the visible sign of what is stuck, and retries
	// later.
	refuseAll nameTaken = iota
	// restoreTheRest restores the MTU, MAC and up state without the name: after a driver
	// rebind the device has a name the kernel chose, and the rest is what its users
	// notice first.
	restoreTheRest
)

// restoreInPlace gives link, a device on the host, want's name, MTU, MAC and admin state,
// leaving alone what matches already. restored says whether anything had to change.
//
// The steps are separate messages, in the order the kernel needs: the device goes down
// first when it is up and its name or MAC changes (the kernel refuses to rename an up
// device, several drivers refuse a MAC change while up); then the name and MTU; then the
// MAC, on its own because a VF can change its own MAC only while its PF pins none, and
// that refusal must not keep the rest from being restored; the up state last. It goes on
// past a failed step and reports every failure, joined.
func (h *Host) restoreInPlace(link netlink.Link, want desiredLink, onNameTaken nameTaken) (restored bool, err error) {
	ch, downFirst := changeFor(link, want)
	if ch.empty() {
		return false, nil
	}
	current := link.Attrs().Name
	var errs []error
	if ch.name != "" {
		if err := h.checkNameFree(ch.name); err != nil {
			err = fmt.Errorf("renaming %s back to %s on host netns %s: %w; rename or remove that device", current, ch.name, h.path, err)
			if onNameTaken == refuseAll {
				return false, err
			}
			errs = append(errs, err)
			ch.name = ""
		}
	}
	if downFirst {
		if err := h.setDown(link); err != nil {
			return false, errors.Join(append(errs, fmt.Errorf("setting %s down on host netns %s to restore it: %w", current, h.path, err))...)
		}
	}
	if named := (linkChange{index: ch.index, netnsFd: -1, name: ch.name, mtu: ch.mtu}); !named.empty() {
		if err := h.conn.apply(named); err != nil {
			errs = append(errs, fmt.Errorf("restoring name %s and MTU %d of %s: %w", want.name, want.mtu, current, err))
		} else if ch.name != "" {
			current = ch.name
		}
	}
	if len(ch.mac) > 0 {
		if err := h.conn.apply(linkChange{index: ch.index, netnsFd: -1, mac: ch.mac}); err != nil {
			errs = append(errs, fmt.Errorf("restoring MAC %s of %s: %w (a VF can set its own MAC only while its PF pins none: "+
				"the PF's VF list shows the MAC it pins)", ch.mac, current, err))
		}
	}
	if ch.admin != adminKeep {
		if err := h.conn.apply(linkChange{index: ch.index, netnsFd: -1, admin: ch.admin}); err != nil {
			errs = append(errs, fmt.Errorf("setting %s %s: %w", current, upOrDown(ch.admin == adminUp), err))
		}
	}
	return true, errors.Join(errs...)
}

func upOrDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}
