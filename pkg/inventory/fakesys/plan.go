package fakesys

import (
	"fmt"
	"hash/fnv"
	"path"
	"strings"
)

const (
	linkEthernet   = "ethernet"
	linkInfiniband = "infiniband"
	linkLoopback   = "loopback"
)

// function is one PCI function as it will be written, paths relative to sys/.
type function struct {
	addr       pciAddr
	dir        string
	vendor     string
	device     string
	class      int
	driver     string
	numaNode   int
	iommuGroup int
	rdma       []string
	sriov      *sriov
	physfn     string // dir of the PF, for a VF
}

type sriov struct {
	total, offset int
	vfDevice      string
	vfDirs        []string
}

// netdev is one interface as it will be written, paths relative to sys/.
type netdev struct {
	Netdev
	linkType  string
	kind      string
	lower     string
	dir       string
	deviceDir string // the parent device's dir; empty for software netdevs
	// parentDriver and parentBus describe a parent that is not a PCI function (virtio, platform).
	parentDriver, parentBus string
	ifindex                 int
}

// layout is the whole tree, computed before anything is written so that every
// cross-reference (master, lower, physfn) can be checked first.
type layout struct {
	functions []*function
	rootPorts rootPortAllocator
	netdevs   []*netdev
	byIfName  map[string]*netdev
	// used holds domain<<16|routing ID of every function and root port.
	used map[int]bool
}

const (
	classEthernet   = 0x020000
	classInfiniband = 0x020700
	classPCIBridge  = 0x060400
)

func (h *Host) layout() (*layout, error) {
	l := &layout{byIfName: map[string]*netdev{}, used: map[int]bool{},
		rootPorts: rootPortAllocator{byRootBus: map[string]*function{}, next: map[string]int{}}}
	lo := &netdev{Netdev: Netdev{IfName: "lo", MAC: "00:00:00:00:00:00", MTU: 65536, OperState: "unknown"},
		linkType: linkLoopback, dir: "devices/virtual/net/lo"}
	if err := l.addNetdev(lo); err != nil {
		return nil, err
	}
	for _, e := range h.entries {
		var err error
		switch {
		case e.nic != nil:
			_, err = l.addFunction(e.nic)
		case e.pf != nil:
			err = l.addPF(e.pf)
		case e.platform != nil:
			err = l.addPlatform(e.platform)
		case e.virtual != nil:
			err = l.addVirtual(e.virtual)
		}
		if err != nil {
			return nil, err
		}
	}
	for i, rp := range l.rootPorts.ordered {
		rp.iommuGroup = len(l.functions) + i
	}
	if err := l.checkReferences(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *layout) addFunction(n *NIC) (*function, error) {
	if err := n.validate(); err != nil {
		return nil, err
	}
	addr, _ := parsePCIAddress(n.PCIAddress)
	parent, err := l.rootPorts.parentDir(addr, n.PCIeRoot, n.NUMANode, l.used)
	if err != nil {
		return nil, fmt.Errorf("PCI function %s: %w", n.PCIAddress, err)
	}
	class := classEthernet
	if n.LinkType == linkInfiniband {
		class = classInfiniband
	}
	f := &function{addr: addr, dir: path.Join(parent, addr.String()), vendor: n.Vendor, device: n.Device,
		class: class, driver: n.Driver, numaNode: n.NUMANode, rdma: n.RDMADevices}
	if err := l.addPCIFunction(f); err != nil {
		return nil, err
	}
	if err := l.attachNetdev(f, n.Netdev, n.LinkType, n.VirtioDevice); err != nil {
		return nil, err
	}
	return f, nil
}

func (l *layout) addPF(p *PF) error {
	if p.TotalVFs <= 0 || p.TotalVFs < len(p.VFs) {
		return fmt.Errorf("PF %s: TotalVFs %d must be positive and at least the %d VFs given", p.PCIAddress, p.TotalVFs, len(p.VFs))
	}
	pf, err := l.addFunction(&p.NIC)
	if err != nil {
		return err
	}
	vfDevice := p.VFDevice
	if vfDevice == "" {
		vfDevice = p.Device
	}
	pf.sriov = &sriov{total: p.TotalVFs, offset: vfOffset(pf.addr, p.TotalVFs), vfDevice: vfDevice}
	parent := path.Dir(pf.dir)
	for i, v := range p.VFs {
		addr := vfAddress(pf.addr, p.TotalVFs, i)
		if v.PCIAddress != "" {
			if addr, err = parsePCIAddress(v.PCIAddress); err != nil {
				return fmt.Errorf("PF %s VF %d: %w", p.PCIAddress, i, err)
			}
		}
		vf := &function{addr: addr, dir: path.Join(parent, addr.String()), vendor: p.Vendor, device: vfDevice,
			class: pf.class, driver: v.Driver, numaNode: p.NUMANode, rdma: v.RDMADevices, physfn: pf.dir}
		if err := l.addPCIFunction(vf); err != nil {
			return err
		}
		if err := l.attachNetdev(vf, v.Netdev, p.LinkType, ""); err != nil {
			return err
		}
		pf.sriov.vfDirs = append(pf.sriov.vfDirs, vf.dir)
	}
	return nil
}

func (l *layout) addPCIFunction(f *function) error {
	if l.used[f.addr.key()] {
		return fmt.Errorf("PCI address %s is used twice (root ports take <root bus>:01.0, 02.0, ... in order of need)", f.addr)
	}
	l.used[f.addr.key()] = true
	f.iommuGroup = len(l.functions)
	l.functions = append(l.functions, f)
	return nil
}

func (l *layout) attachNetdev(f *function, nd Netdev, linkType, virtioDevice string) error {
	if nd.IfName == "" {
		return nil
	}
	if linkType == "" {
		linkType = linkEthernet
	}
	parent := f.dir
	if virtioDevice != "" {
		parent = path.Join(f.dir, virtioDevice)
	}
	n := &netdev{Netdev: nd, linkType: linkType, dir: path.Join(parent, "net", nd.IfName), deviceDir: parent}
	if virtioDevice != "" {
		n.parentDriver, n.parentBus = "virtio_net", "virtio"
	}
	return l.addNetdev(n)
}

func (l *layout) addPlatform(p *PlatformNIC) error {
	if p.Device == "" || p.IfName == "" {
		return fmt.Errorf("platform NIC %q: Device and IfName are required", p.IfName)
	}
	bus := p.Bus
	if bus == "" {
		bus = "virtio"
	}
	parent := path.Join("devices", p.Device)
	n := &netdev{Netdev: p.Netdev, linkType: linkEthernet, dir: path.Join(parent, "net", p.IfName),
		deviceDir: parent, parentDriver: p.Driver, parentBus: bus}
	return l.addNetdev(n)
}

func (l *layout) addVirtual(v *VirtualNIC) error {
	if v.IfName == "" {
		return fmt.Errorf("virtual netdev of kind %q has no IfName", v.Kind)
	}
	n := &netdev{Netdev: v.Netdev, linkType: linkEthernet, kind: v.Kind, lower: v.Lower,
		dir: path.Join("devices/virtual/net", v.IfName)}
	return l.addNetdev(n)
}

func (l *layout) addNetdev(n *netdev) error {
	if len(n.IfName) > 15 || strings.ContainsAny(n.IfName, "/: \t\n") {
		return fmt.Errorf("interface name %q: the kernel allows at most 15 bytes and no '/', ':' or whitespace", n.IfName)
	}
	if _, dup := l.byIfName[n.IfName]; dup {
		return fmt.Errorf("interface name %q is used twice", n.IfName)
	}
	n.ifindex = len(l.netdevs) + 1
	applyNetdevDefaults(n)
	l.byIfName[n.IfName] = n
	l.netdevs = append(l.netdevs, n)
	return nil
}

func applyNetdevDefaults(n *netdev) {
	if n.MTU == 0 {
		n.MTU = 1500
		if n.linkType == linkInfiniband {
			n.MTU = 2044
		}
	}
	if n.OperState == "" {
		n.OperState = "up"
	}
	if n.MAC == "" {
		n.MAC = derivedMAC(n.IfName, n.linkType)
	}
}

// derivedMAC is a stable locally administered unicast address (an IPoIB hardware address
// for InfiniBand: 4 bytes QPN/flags, 8 bytes subnet prefix, 8 bytes port GUID).
func derivedMAC(ifName, linkType string) string {
	h := fnv.New64a()
	h.Write([]byte(ifName))
	sum := h.Sum64()
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(sum >> (8 * i))
	}
	if linkType == linkInfiniband {
		return fmt.Sprintf("00:00:10:87:fe:80:00:00:00:00:00:00:%02x:%02x:%02x:%02x:%02x:%02x:%02x:%02x",
			b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7])
	}
	return fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4])
}

func (l *layout) checkReferences() error {
	for _, n := range l.netdevs {
		if n.Master != "" {
			m, ok := l.byIfName[n.Master]
			if !ok || (m.kind != KindBridge && m.kind != KindBond) {
				return fmt.Errorf("interface %s: master %q must be a bridge or bond added with AddVirtual", n.IfName, n.Master)
			}
		}
		if n.lower != "" {
			if _, ok := l.byIfName[n.lower]; !ok {
				return fmt.Errorf("interface %s: lower interface %q does not exist", n.IfName, n.lower)
			}
		}
	}
	return nil
}

// rootPortAllocator places functions in the PCIe hierarchy: directly under the root complex
// when they sit on its bus, behind one root port per (root, bus) otherwise.
type rootPortAllocator struct {
	byRootBus map[string]*function
	next      map[string]int
	ordered   []*function
}

func (a *rootPortAllocator) parentDir(addr pciAddr, root string, numaNode int, used map[int]bool) (string, error) {
	if root == "" {
		root = fmt.Sprintf("pci%04x:00", addr.domain)
	}
	domain, rootBus, err := parsePCIeRoot(root)
	if err != nil {
		return "", err
	}
	if domain != addr.domain {
		return "", fmt.Errorf("PCIe root %s is in another PCI domain", root)
	}
	rootDir := path.Join("devices", root)
	if addr.bus() == rootBus {
		return rootDir, nil
	}
	key := fmt.Sprintf("%s/%02x", root, addr.bus())
	if rp, ok := a.byRootBus[key]; ok {
		return rp.dir, nil
	}
	var rpAddr pciAddr
	for {
		a.next[root]++
		if a.next[root] > 0x1f {
			return "", fmt.Errorf("PCIe root %s has no free slot for another root port", root)
		}
		rpAddr = pciAddr{domain: domain, rid: rootBus<<8 | a.next[root]<<3}
		if !used[rpAddr.key()] {
			break
		}
	}
	used[rpAddr.key()] = true
	rp := &function{addr: rpAddr, dir: path.Join(rootDir, rpAddr.String()), vendor: "8086", device: "2030",
		class: classPCIBridge, driver: "pcieport", numaNode: numaNode}
	a.byRootBus[key] = rp
	a.ordered = append(a.ordered, rp)
	return rp.dir, nil
}
