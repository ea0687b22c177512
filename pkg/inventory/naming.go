package inventory

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"
)

// maxDeviceNameLength is the DNS label limit that resourceapi.Device.Name must respect.
const maxDeviceNameLength = 63

var pciAddressPattern = regexp.MustCompile(`^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$`)

// PCIDeviceName is the published name of a PCI function: its address with every separator
// turned into '-', e.g. 0000:3b:02.1 -> pci-0000-3b-02-1. The address is stable across
// reboots and driver rebinds, unlike the interface name.
func PCIDeviceName(pciAddress string) (string, error) {
	m := pciAddressPattern.FindStringSubmatch(strings.ToLower(pciAddress))
	if m == nil {
		return "", fmt.Errorf("PCI address %q is not in domain:bus:device.function form", pciAddress)
	}
	return fmt.Sprintf("pci-%s-%s-%s-%s", m[1], m[2], m[3], m[4]), nil
}

// InterfaceDeviceName is the published name of a non-PCI netdev: the interface name when
// it already is a DNS label. Otherwise the name is lowercased, every other invalid
// character becomes '-', and a hash of the original name is appended, because that mapping
// is lossy (eth_0 and eth-0, or ETH0 and eth0, may both exist) and two devices must never
// share a name. Interface names have at most 15 bytes, so the result never nears 63.
func InterfaceDeviceName(ifName string) string {
	label := strings.Trim(strings.Map(dnsLabelRune, strings.ToLower(ifName)), "-")
	if label == ifName && label != "" {
		return label
	}
	suffix := fmt.Sprintf("%08x", fnv32(ifName))
	if label == "" {
		return "if-" + suffix
	}
	if len(label) > maxDeviceNameLength-len(suffix)-1 {
		label = strings.TrimRight(label[:maxDeviceNameLength-len(suffix)-1], "-")
	}
	return label + "-" + suffix
}

func dnsLabelRune(r rune) rune {
	if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
		return r
	}
	return '-'
}

func fnv32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
