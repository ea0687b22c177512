package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ARPHRD_* values of a netdev's type file.
const (
	arphrdEther      = 1
	arphrdInfiniband = 32
	arphrdLoopback   = 772
)

// netdev is one network interface as sysfs (and, on a live host, netlink) describes it.
type netdev struct {
	name string
	// owner is the address of the network-class PCI function the interface belongs to.
	owner string
	// software is true for netdevs under devices/virtual/net (veth, macvlan, bridge ...).
	software bool
	// dir is the interface's sysfs folder; classLinkTarget the target of class/net/<name>.
	dir             string
	classLinkTarget string
	// hasDevice is true for hardware interfaces (they have a device link).
	hasDevice bool
	// deviceDriver is the driver of the parent device of a non-PCI hardware netdev
	// (virtio-mmio, USB), from device/driver.
	deviceDriver string
	// devType is uevent's DEVTYPE (bridge, bond, vlan, ...); kind is the rtnetlink kind,
	// known on a live host only.
	devType string
	kind    string
	arphrd  int
	bridge  bool
	bond    bool
	// master is the bridge, bond, team or VRF the interface is enslaved to, if any.
	master    string
	mac       string
	mtu       int
	operState string
	speedMbps int
}

// linkType maps the ARPHRD type; other types (tunnels, loopback) have no published link type.
func (n *netdev) linkType() LinkType {
	switch n.arphrd {
	case arphrdEther:
		return LinkTypeEthernet
	case arphrdInfiniband:
		return LinkTypeInfiniband
	}
	return ""
}

// readNetdevs reads every interface of sysfs class/net. It lists the folder itself rather
// than through ghw.Network: that reads the same folders (address, speed, duplex, device and
// subsystem links: seven system calls an interface) and reports nothing this scan does not
// read anyway, which on a node with a thousand VFs cost a third of the scan.
// withLinkFacts is false on a live host, where one netlink dump replaces the address, MTU
// and state reads. An interface deleted while the scan runs is skipped: it would be gone by
// the time its ResourceSlice is read anyway.
func readNetdevs(sysDir string, withLinkFacts bool) ([]*netdev, error) {
	classDir := filepath.Join(sysDir, "class/net")
	entries, err := os.ReadDir(classDir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", classDir, err)
	}
	netdevs := make([]*netdev, 0, len(entries))
	for _, e := range entries {
		if e.Type()&fs.ModeSymlink == 0 {
			continue // bonding_masters, the bonding driver's control file
		}
		n, err := readNetdev(classDir, e.Name(), withLinkFacts)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("interface %s: %w", e.Name(), err)
		}
		netdevs = append(netdevs, n)
	}
	return netdevs, nil
}

func readNetdev(classDir, name string, withLinkFacts bool) (*netdev, error) {
	target, err := os.Readlink(filepath.Join(classDir, name))
	if err != nil {
		return nil, err
	}
	// Interfaces without a parent device are registered under devices/virtual; every other
	// one sits below its parent and has a device link.
	software := strings.Contains(filepath.ToSlash(target), "/devices/virtual/")
	n := &netdev{name: name, classLinkTarget: target, dir: filepath.Join(classDir, target),
		software: software, hasDevice: !software}
	if withLinkFacts {
		if err := n.readLinkFacts(); err != nil {
			return nil, err
		}
	}
	if n.arphrd, _, err = readOptionalInt(filepath.Join(n.dir, "type")); err != nil {
		return nil, err
	}
	if n.master, err = readMaster(n.dir); err != nil {
		return nil, err
	}
	// Speed only means something for hardware; DEVTYPE and the bridge/bonding folders only
	// exist for software kinds. Reading each only where it can exist keeps a scan of a
	// thousand VFs to a few system calls per interface.
	if n.hasDevice {
		speed, ok, err := readOptionalInt(filepath.Join(n.dir, "speed"))
		if err != nil {
			return nil, err
		}
		if ok && speed > 0 { // a down link reports -1: unknown
			n.speedMbps = speed
		}
		return n, nil
	}
	if n.devType, err = readDevType(filepath.Join(n.dir, "uevent")); err != nil {
		return nil, err
	}
	if n.bridge, err = exists(filepath.Join(n.dir, "bridge")); err != nil {
		return nil, err
	}
	if n.bond, err = exists(filepath.Join(n.dir, "bonding")); err != nil {
		return nil, err
	}
	return n, nil
}

// readLinkFacts reads the address, MTU and operational state from sysfs.
func (n *netdev) readLinkFacts() error {
	var err error
	if n.mac, _, err = readOptional(filepath.Join(n.dir, "address")); err != nil {
		return err
	}
	if n.mtu, _, err = readOptionalInt(filepath.Join(n.dir, "mtu")); err != nil {
		return err
	}
	n.operState, _, err = readOptional(filepath.Join(n.dir, "operstate"))
	return err
}

// assignOwners ties interfaces to their network-class PCI functions and reads the parent
// driver of the hardware interfaces that have none.
func assignOwners(netdevs []*netdev, functions map[string]*pciFunction) error {
	for _, n := range netdevs {
		n.owner = owningFunction(n, functions)
		if n.owner != "" || !n.hasDevice {
			continue
		}
		driver, err := LinkBase(filepath.Join(n.dir, "device/driver"))
		if err != nil {
			return fmt.Errorf("interface %s: reading device/driver: %w", n.name, err)
		}
		n.deviceDriver = driver
	}
	return nil
}

// owningFunction finds the PCI function an interface belongs to: the nearest PCI function
// among the folders of its sysfs path. That is usually the parent (…/0000:3b:02.1/net/x);
// a virtio NIC hangs off a virtio bus device below the function
// (…/0000:00:03.0/virtio2/net/eth0). Only the class link's target is inspected, never
// */net/* globs: those would follow a PF's virtfnN links and make the PF appear to own its
// VFs' interfaces.
func owningFunction(n *netdev, functions map[string]*pciFunction) string {
	parts := strings.Split(filepath.ToSlash(n.classLinkTarget), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if pciAddressPattern.MatchString(parts[i]) {
			if _, ok := functions[parts[i]]; ok {
				return parts[i]
			}
			// The nearest PCI ancestor is not a network function (a USB controller
			// under a USB NIC): the interface has no PCI function of its own.
			return ""
		}
	}
	return ""
}

func readDevType(path string) (string, error) {
	uevent, _, err := readOptional(path)
	for line := range strings.Lines(uevent) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "DEVTYPE="); ok {
			return v, err
		}
	}
	return "", err
}

// readMaster returns the name of the device an interface is enslaved to: the kernel links
// <if>/master to it for bridge, bond, team and VRF ports.
func readMaster(dir string) (string, error) {
	return LinkBase(filepath.Join(dir, "master"))
}
