package inventory

import (
	"fmt"
	"path"
)

// Exclusion is an admin's list of devices never to publish, as shell patterns
// (path.Match syntax: *, ?, [a-z]). A pattern matches a device by its published name, its
// interface name or its PCI address; a pattern matching a PF's interface name or PCI
// address excludes the PF's VFs too, so "keep the storage NIC for the host" is one entry.
type Exclusion []string

// Validate rejects malformed patterns up front, so a typo fails the daemon's start instead
// of silently publishing the device it meant to keep.
func (e Exclusion) Validate() error {
	for _, p := range e {
		if p == "" {
			return fmt.Errorf("exclusion pattern is empty")
		}
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("exclusion pattern %q: %w", p, err)
		}
	}
	return nil
}

// Excludes reports whether d matches any pattern.
func (e Exclusion) Excludes(d Device) bool {
	for _, p := range e {
		for _, v := range []string{d.Name, d.IfName, d.PCIAddress, d.PFName, d.PFPCIAddress} {
			if v == "" {
				continue
			}
			if ok, _ := path.Match(p, v); ok {
				return true
			}
		}
	}
	return false
}

// without returns devices minus those e excludes, in the same order.
func (e Exclusion) without(devices []Device) []Device {
	if len(e) == 0 {
		return devices
	}
	kept := devices[:0]
	for _, d := range devices {
		if !e.Excludes(d) {
			kept = append(kept, d)
		}
	}
	return kept
}
