package inventory

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/klog/v2"
)

// Options selects what Discover inspects.
type Options struct {
	// HostRoot is the root of the host to inspect: "/" (or "") is the live host; any other
	// folder is a captured or synthetic host (HostRoot/sys, HostRoot/proc/net/route, ...,
	// see pkg/inventory/fakesys). Link facts then come from sysfs files only: no netlink.
	HostRoot string
	// Exclude lists devices an admin keeps off the published inventory.
	Exclude Exclusion
}

func (o Options) hostRoot() string {
	if o.HostRoot == "" {
		return "/"
	}
	return filepath.Clean(o.HostRoot)
}

// Discover lists the node's allocatable network devices, sorted by Name:
//   - every network-class PCI function: NICs, SR-IOV PFs without enabled VFs, and VFs (with
//     or without a netdev: a VF bound to vfio-pci is still a device);
//   - every other interface (veth, macvlan, virtio-mmio ...), named after the interface.
//
// Never listed: loopback; the interfaces carrying a default route and everything enslaved
// or stacked below them; ports of any bridge, bond, team or VRF; bridges, bonds and other
// kinds the kernel will not move to another network namespace; PFs whose VFs are enabled
// (their VFs are listed instead); devices Options.Exclude matches.
func Discover(ctx context.Context, opts Options) ([]Device, error) {
	logger := klog.FromContext(ctx)
	if err := opts.Exclude.Validate(); err != nil {
		return nil, err
	}
	root := opts.hostRoot()
	sysDir := filepath.Join(root, "sys")
	if err := checkSysfs(sysDir); err != nil {
		return nil, err
	}

	live := root == "/"
	functions, netdevs, err := scan(ctx, root, live)
	if err != nil {
		return nil, err
	}
	if err := assignOwners(netdevs, functions); err != nil {
		return nil, err
	}
	if live {
		if err := addNetlinkFacts(netdevs); err != nil {
			return nil, err
		}
	}
	uplinks, err := defaultRouteInterfaces(root)
	if err != nil {
		return nil, err
	}
	hostBound, err := hostBoundInterfaces(uplinks, sysfsLowers(sysDir))
	if err != nil {
		return nil, err
	}
	inv := inventory{
		functions:   functions,
		netdevsOf:   netdevsByFunction(netdevs),
		hostBound:   hostBound,
		netdevsSeen: netdevs,
	}
	devices, err := inv.devices(logger)
	if err != nil {
		return nil, err
	}
	devices = opts.Exclude.without(devices)
	logger.V(4).Info("Discovered network devices", "hostRoot", root, "devices", len(devices),
		"pciFunctions", len(functions), "interfaces", len(netdevs), "uplinks", uplinks)
	return devices, nil
}

// checkSysfs refuses a host root without sysfs: ghw would report an empty host, and an empty
// inventory withdraws every device of the node.
func checkSysfs(sysDir string) error {
	info, err := os.Stat(filepath.Join(sysDir, "class/net"))
	if err != nil {
		return fmt.Errorf("host root has no sysfs (%s/class/net): %w; point --host-root at a folder holding sys/ and proc/", sysDir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("host root has no sysfs: %s/class/net is not a folder", sysDir)
	}
	return nil
}

// netdevsByFunction groups PCI interfaces by function, sorted by name: the first is the
// function's interface (a function rarely has several: IPoIB child interfaces, mlx4's
// second port).
func netdevsByFunction(netdevs []*netdev) map[string][]*netdev {
	byFunction := make(map[string][]*netdev)
	for _, n := range netdevs {
		if n.owner != "" {
			byFunction[n.owner] = append(byFunction[n.owner], n)
		}
	}
	for _, list := range byFunction {
		slices.SortFunc(list, func(a, b *netdev) int { return strings.Compare(a.name, b.name) })
	}
	return byFunction
}

// inventory joins the facts of one scan into Devices.
type inventory struct {
	functions   map[string]*pciFunction
	netdevsOf   map[string][]*netdev
	hostBound   map[string]bool
	netdevsSeen []*netdev
}

func (inv inventory) devices(logger klog.Logger) ([]Device, error) {
	var devices []Device
	for _, f := range inv.functions {
		d, publish, err := inv.pciDevice(f)
		if err != nil {
			return nil, fmt.Errorf("PCI function %s: %w", f.address, err)
		}
		if !publish {
			logger.V(5).Info("Not publishing PCI function", "pciAddress", f.address)
			continue
		}
		devices = append(devices, d)
	}
	for _, n := range inv.netdevsSeen {
		if n.owner != "" || !inv.publishable(n) {
			continue
		}
		devices = append(devices, interfaceDevice(n))
	}
	slices.SortFunc(devices, func(a, b Device) int { return strings.Compare(a.Name, b.Name) })
	return devices, nil
}

// pciDevice builds the Device of a PCI function; publish is false for a PF with VFs
// enabled and for a function whose interface the host needs (uplink or below it).
func (inv inventory) pciDevice(f *pciFunction) (d Device, publish bool, err error) {
	kind, publish := f.kind()
	if !publish {
		return Device{}, false, nil
	}
	netdevs := inv.netdevsOf[f.address]
	for _, n := range netdevs {
		if inv.hostBound[n.name] || n.master != "" {
			return Device{}, false, nil
		}
	}
	name, err := PCIDeviceName(f.address)
	if err != nil {
		return Device{}, false, err
	}
	d = Device{
		Name:        name,
		Kind:        kind,
		PCIAddress:  f.address,
		Vendor:      f.vendor,
		DeviceID:    f.deviceID,
		Driver:      f.driver,
		NUMANode:    f.numaNode,
		IOMMUGroup:  f.iommuGroup,
		RDMA:        len(f.rdmaDevices) > 0,
		RDMADevices: f.rdmaDevices,
		LinkType:    linkTypeOfSubclass(f.subclass),
	}
	d.RDMAVerbsDevices = f.rdmaVerbs
	switch kind {
	case KindPF:
		d.SRIOVTotalVFs, d.SRIOVNumVFs = f.sriovTotalVFs, f.sriovNumVFs
	case KindVF:
		inv.describePF(&d, f)
	}
	if len(netdevs) > 0 {
		applyLinkFacts(&d, netdevs[0])
	}
	return d, true, nil
}

// describePF fills a VF's PF identity and virtfn index.
func (inv inventory) describePF(d *Device, vf *pciFunction) {
	d.PFPCIAddress = vf.physfn
	pf, ok := inv.functions[vf.physfn]
	if !ok {
		return
	}
	if netdevs := inv.netdevsOf[pf.address]; len(netdevs) > 0 {
		d.PFName = netdevs[0].name
		d.PFMTU = netdevs[0].mtu
	}
	if index, ok := pf.vfIndexes[vf.address]; ok {
		d.VFIndex = &index
	}
}

// linkTypeOfSubclass is the link type of a function without an interface (vfio-pci): the PCI
// subclass is what the device itself announces (0x0207 InfiniBand, 0x0200 Ethernet).
func linkTypeOfSubclass(subclass string) LinkType {
	switch subclass {
	case "00":
		return LinkTypeEthernet
	case "07":
		return LinkTypeInfiniband
	}
	return ""
}

func applyLinkFacts(d *Device, n *netdev) {
	d.IfName = n.name
	d.MAC = n.mac
	d.MTU = n.mtu
	d.OperState = n.operState
	d.SpeedMbps = n.speedMbps
	if lt := n.linkType(); lt != "" {
		d.LinkType = lt
	}
}

// netnsLocalKinds are interface kinds the kernel refuses to move to another network
// namespace (NETIF_F_NETNS_LOCAL), by rtnetlink kind (live) or uevent DEVTYPE.
var netnsLocalKinds = map[string]bool{
	"bridge": true, "bond": true, "team": true, "vrf": true, "openvswitch": true,
}

// publishable says whether a non-PCI interface may be handed to a pod.
func (inv inventory) publishable(n *netdev) bool {
	switch {
	case n.arphrd == arphrdLoopback || n.name == "lo":
		return false
	case inv.hostBound[n.name]:
		return false
	case n.master != "":
		// A bridge or bond port carries the host's traffic (the container runtime's own
		// bridge has one per pod); taking it away would break its master.
		return false
	case n.bridge || n.bond || netnsLocalKinds[n.kind] || netnsLocalKinds[n.devType]:
		return false
	}
	return true
}

// interfaceDevice builds the Device of a non-PCI interface.
func interfaceDevice(n *netdev) Device {
	d := Device{
		Name:    InterfaceDeviceName(n.name),
		Kind:    KindNIC,
		Virtual: n.software,
		Driver:  interfaceDriver(n),
	}
	applyLinkFacts(&d, n)
	return d
}

// interfaceDriver names what drives a non-PCI interface: the parent device's driver for
// hardware (virtio_net on virtio-mmio, a USB NIC's driver), else the rtnetlink kind (live
// hosts), else the DEVTYPE sysfs shows for some kinds (vlan, vxlan ...). veth and macvlan
// show neither in sysfs, so on a captured host their driver is unknown and left empty.
func interfaceDriver(n *netdev) string {
	switch {
	case n.deviceDriver != "":
		return n.deviceDriver
	case n.kind != "":
		return n.kind
	}
	return n.devType
}
