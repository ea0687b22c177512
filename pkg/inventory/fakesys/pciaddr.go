package fakesys

import (
	"fmt"
	"regexp"
	"strconv"
)

// pciAddr is a PCI function address. The routing ID (bus, device, function packed into 16
// bits) is what SR-IOV offsets and strides are counted in.
type pciAddr struct {
	domain int
	rid    int
}

var (
	pciAddressPattern = regexp.MustCompile(`^([0-9a-f]{4}):([0-9a-f]{2}):([0-1][0-9a-f])\.([0-7])$`)
	pcieRootPattern   = regexp.MustCompile(`^pci([0-9a-f]{4}):([0-9a-f]{2})$`)
)

func parsePCIAddress(s string) (pciAddr, error) {
	m := pciAddressPattern.FindStringSubmatch(s)
	if m == nil {
		return pciAddr{}, fmt.Errorf("PCI address %q: want domain:bus:device.function in lowercase hex, e.g. 0000:3b:00.0", s)
	}
	domain := mustHex(m[1])
	bus, dev, fn := mustHex(m[2]), mustHex(m[3]), mustHex(m[4])
	return pciAddr{domain: domain, rid: bus<<8 | dev<<3 | fn}, nil
}

func (a pciAddr) key() int { return a.domain<<16 | a.rid }
func (a pciAddr) bus() int { return a.rid >> 8 }
func (a pciAddr) fn() int  { return a.rid & 7 }

func (a pciAddr) String() string {
	return fmt.Sprintf("%04x:%02x:%02x.%x", a.domain, a.rid>>8, (a.rid>>3)&0x1f, a.rid&7)
}

// parsePCIeRoot splits "pci0000:3a" into domain and root bus.
func parsePCIeRoot(s string) (domain, bus int, err error) {
	m := pcieRootPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, fmt.Errorf("PCIe root %q: want pci<domain>:<bus> in lowercase hex, e.g. pci0000:3a", s)
	}
	return mustHex(m[1]), mustHex(m[2]), nil
}

// mustHex parses digits the patterns above already validated.
func mustHex(s string) int {
	v, err := strconv.ParseInt(s, 16, 32)
	if err != nil {
		panic(fmt.Sprintf("fakesys: %q passed the pattern but is not hex: %v", s, err))
	}
	return int(v)
}

// vfOffset is the sriov_offset of a PF: the first VF's routing ID minus the PF's. It keeps
// the VFs of the functions of one slot apart, like real multi-port cards: function f's VFs
// start 16 + f*totalVFs routing IDs after function 0.
func vfOffset(pf pciAddr, totalVFs int) int {
	return 16 + pf.fn()*(totalVFs-1)
}

// vfAddress is the default address of VF index i (stride 1).
func vfAddress(pf pciAddr, totalVFs, i int) pciAddr {
	return pciAddr{domain: pf.domain, rid: pf.rid + vfOffset(pf, totalVFs) + i}
}
