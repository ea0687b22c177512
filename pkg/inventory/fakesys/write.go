package fakesys

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/netclaim/netclaim/pkg/inventory/pciids"
)

// Write renders the host under root: root/sys, root/proc/net/{route,ipv6_route} and
// root/usr/share/hwdata/pci.ids. root must be empty or absent; Write never follows a
// symlink out of it.
func (h *Host) Write(root string) error {
	l, err := h.layout()
	if err != nil {
		return fmt.Errorf("fake host: %w", err)
	}
	if entries, err := os.ReadDir(root); err == nil && len(entries) > 0 {
		return fmt.Errorf("fake host: %s is not empty; write into a new directory", root)
	}
	w := &treeWriter{root: root}
	for _, rp := range l.rootPorts.ordered {
		w.function(rp)
	}
	for _, f := range l.functions {
		w.function(f)
	}
	for _, n := range l.netdevs {
		w.netdev(n, l.byIfName)
	}
	w.routes(l.netdevs)
	w.hostBindingFiles(h.Drivers)
	if !h.OmitPCIIDs {
		w.file("usr/share/hwdata/pci.ids", string(pciids.Minimal))
	}
	if w.err != nil {
		return fmt.Errorf("fake host: writing %s: %w", root, w.err)
	}
	return nil
}

// treeWriter keeps the first error so that the tree description reads as a list of paths.
type treeWriter struct {
	root string
	err  error
	// uverbs numbers RDMA verbs devices across the host, as the kernel does.
	uverbs int
}

func (w *treeWriter) file(rel, content string) {
	if w.err != nil {
		return
	}
	p := filepath.Join(w.root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.err = err
		return
	}
	w.err = os.WriteFile(p, []byte(content), 0o644)
}

func (w *treeWriter) dir(rel string) {
	if w.err != nil {
		return
	}
	w.err = os.MkdirAll(filepath.Join(w.root, filepath.FromSlash(rel)), 0o755)
}

// sysLink creates sys/<link> pointing at sys/<target> with the kernel's relative spelling.
func (w *treeWriter) sysLink(link, target string) {
	if w.err != nil {
		return
	}
	p := filepath.Join(w.root, "sys", filepath.FromSlash(link))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.err = err
		return
	}
	w.err = os.Symlink(kernelLinkText(link, target), p)
}

func (w *treeWriter) sysFile(rel, content string) { w.file(path.Join("sys", rel), content+"\n") }

// kernelLinkText is the target text sysfs gives a link at linkPath pointing at target (both
// relative to sys/): it climbs from the link's folder to the deepest folder that is a proper
// ancestor of the target, then descends. A netdev's device link therefore reads
// ../../../0000:3b:00.0, not ../.., and a bus link ../../../devices/pci0000:3a/...
func kernelLinkText(linkPath, target string) string {
	from := strings.Split(path.Dir(linkPath), "/")
	to := strings.Split(target, "/")
	common := 0
	for common < len(from) && common < len(to)-1 && from[common] == to[common] {
		common++
	}
	return strings.Repeat("../", len(from)-common) + strings.Join(to[common:], "/")
}

func (w *treeWriter) function(f *function) {
	addr := f.addr.String()
	vendor, device := "0x"+f.vendor, "0x"+f.device
	w.sysFile(path.Join(f.dir, "vendor"), vendor)
	w.sysFile(path.Join(f.dir, "device"), device)
	w.sysFile(path.Join(f.dir, "subsystem_vendor"), vendor)
	w.sysFile(path.Join(f.dir, "subsystem_device"), device)
	w.sysFile(path.Join(f.dir, "class"), fmt.Sprintf("0x%06x", f.class))
	w.sysFile(path.Join(f.dir, "revision"), "0x01")
	w.sysFile(path.Join(f.dir, "modalias"), modalias(f))
	w.sysFile(path.Join(f.dir, "numa_node"), strconv.Itoa(f.numaNode))
	w.sysLink(path.Join(f.dir, "subsystem"), "bus/pci")
	w.sysLink(path.Join("bus/pci/devices", addr), f.dir)
	if f.driver != "" {
		drv := path.Join("bus/pci/drivers", f.driver)
		w.sysLink(path.Join(f.dir, "driver"), drv)
		w.sysLink(path.Join(drv, addr), f.dir)
	}
	group := path.Join("kernel/iommu_groups", strconv.Itoa(f.iommuGroup))
	w.sysLink(path.Join(f.dir, "iommu_group"), group)
	w.sysLink(path.Join(group, "devices", addr), f.dir)
	for _, rdma := range f.rdma {
		ibDir := path.Join(f.dir, "infiniband", rdma)
		w.sysFile(path.Join(ibDir, "node_type"), "1: CA")
		w.sysLink(path.Join("class/infiniband", rdma), ibDir)
		w.verbsDevice(f, rdma)
	}
	w.bindingFiles(f)
	if f.sriov != nil {
		w.sysFile(path.Join(f.dir, "sriov_totalvfs"), strconv.Itoa(f.sriov.total))
		w.sysFile(path.Join(f.dir, "sriov_numvfs"), strconv.Itoa(len(f.sriov.vfDirs)))
		w.sysFile(path.Join(f.dir, "sriov_offset"), strconv.Itoa(f.sriov.offset))
		w.sysFile(path.Join(f.dir, "sriov_stride"), "1")
		w.sysFile(path.Join(f.dir, "sriov_vf_device"), f.sriov.vfDevice)
		w.sysFile(path.Join(f.dir, "sriov_drivers_autoprobe"), "1")
		for i, vf := range f.sriov.vfDirs {
			w.sysLink(path.Join(f.dir, "virtfn"+strconv.Itoa(i)), vf)
		}
	}
	if f.physfn != "" {
		w.sysLink(path.Join(f.dir, "physfn"), f.physfn)
	}
}

// modalias is what the kernel writes for a PCI function; ghw parses it at fixed offsets
// and drops every PCI device when one is missing or short.
func modalias(f *function) string {
	vendor, device := mustHex(f.vendor), mustHex(f.device)
	return fmt.Sprintf("pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X",
		vendor, device, vendor, device, f.class>>16, (f.class>>8)&0xff, f.class&0xff)
}

// arphrdType is the netdev type file: ARPHRD_ETHER, ARPHRD_INFINIBAND, ARPHRD_LOOPBACK.
func arphrdType(linkType string) string {
	switch linkType {
	case linkInfiniband:
		return "32"
	case linkLoopback:
		return "772"
	}
	return "1"
}

func (w *treeWriter) netdev(n *netdev, byIfName map[string]*netdev) {
	w.sysFile(path.Join(n.dir, "address"), n.MAC)
	w.sysFile(path.Join(n.dir, "addr_len"), strconv.Itoa(strings.Count(n.MAC, ":")+1))
	assign := "0"
	if n.RandomMAC {
		assign = "1"
	}
	w.sysFile(path.Join(n.dir, "addr_assign_type"), assign)
	w.sysFile(path.Join(n.dir, "mtu"), strconv.Itoa(n.MTU))
	w.sysFile(path.Join(n.dir, "operstate"), n.OperState)
	w.sysFile(path.Join(n.dir, "type"), arphrdType(n.linkType))
	w.sysFile(path.Join(n.dir, "ifindex"), strconv.Itoa(n.ifindex))
	w.sysFile(path.Join(n.dir, "iflink"), strconv.Itoa(n.ifindex))
	uevent := fmt.Sprintf("INTERFACE=%s\nIFINDEX=%d", n.IfName, n.ifindex)
	if dt := devTypeOf(n.kind); dt != "" {
		uevent = "DEVTYPE=" + dt + "\n" + uevent
	}
	w.sysFile(path.Join(n.dir, "uevent"), uevent)
	w.sysLink(path.Join(n.dir, "subsystem"), "class/net")
	w.sysLink(path.Join("class/net", n.IfName), n.dir)
	if n.parentDriver != "" {
		drv := path.Join("bus", n.parentBus, "drivers", n.parentDriver)
		w.sysLink(path.Join(n.deviceDir, "driver"), drv)
		w.sysLink(path.Join(n.deviceDir, "subsystem"), path.Join("bus", n.parentBus))
		w.sysLink(path.Join(drv, path.Base(n.deviceDir)), n.deviceDir)
	}
	if n.deviceDir != "" {
		speed := "-1"
		if n.SpeedMbps > 0 {
			speed = strconv.Itoa(n.SpeedMbps)
		}
		w.sysFile(path.Join(n.dir, "speed"), speed)
		w.sysLink(path.Join(n.dir, "device"), n.deviceDir)
	}
	switch n.kind {
	case KindBridge:
		w.sysFile(path.Join(n.dir, "bridge/stp_state"), "0")
		w.dir(path.Join("sys", n.dir, "brif"))
	case KindBond:
		w.sysFile(path.Join(n.dir, "bonding/mode"), "active-backup 1")
		w.sysFile("class/net/bonding_masters", bondingMasters(byIfName))
	}
	if n.Master != "" {
		m := byIfName[n.Master]
		w.stack(n, m)
		w.sysLink(path.Join(n.dir, "master"), m.dir)
		if m.kind == KindBridge {
			w.sysFile(path.Join(n.dir, "brport/state"), "3")
			w.sysLink(path.Join(m.dir, "brif", n.IfName), path.Join(n.dir, "brport"))
		} else {
			w.sysFile(path.Join(n.dir, "bonding_slave/state"), "active")
		}
	}
	if n.lower != "" {
		w.stack(byIfName[n.lower], n)
	}
}

// stack records that upper sits on lower, as the kernel's upper_/lower_ adjacency links do.
func (w *treeWriter) stack(lower, upper *netdev) {
	w.sysLink(path.Join(lower.dir, "upper_"+upper.IfName), upper.dir)
	w.sysLink(path.Join(upper.dir, "lower_"+lower.IfName), lower.dir)
}

func bondingMasters(byIfName map[string]*netdev) string {
	var names []string
	for name, n := range byIfName {
		if n.kind == KindBond {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return strings.Join(names, " ")
}
