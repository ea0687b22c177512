package main

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// peerName names the other end of a stand-in veth: the kernel allows 15 bytes.
func peerName(name string) string {
	p := "p-" + name
	if len(p) > 15 {
		p = p[:15]
	}
	return p
}

// createLinks creates, inside the network namespace at nsPath, one veth pair per interface
// of the fake tree: the end named like the fake netdev, with its MAC and MTU, stands in
// for the NIC or VF; its peer (p-<name>) stays behind in the node namespace when the stand-in
// is moved into a pod, so the pod has a live link to send to. Loopback is brought up too:
// processes of the node (the plugin, the node agent) reach the API server over it.
func createLinks(nsPath string, links []link) error {
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return fmt.Errorf("opening network namespace %s: %w", nsPath, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("netlink handle in %s: %w", nsPath, err)
	}
	defer h.Close()

	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("%s: finding lo: %w", nsPath, err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("%s: setting lo up: %w", nsPath, err)
	}
	for _, l := range links {
		if err := createVeth(h, l); err != nil {
			return fmt.Errorf("%s: %w", nsPath, err)
		}
	}
	return nil
}

func createVeth(h *netlink.Handle, l link) error {
	mac, err := net.ParseMAC(l.MAC)
	if err != nil {
		return fmt.Errorf("interface %s: MAC %q: %w", l.Name, l.MAC, err)
	}
	veth := &netlink.Veth{
		LinkAttrs: netlink.LinkAttrs{Name: l.Name, HardwareAddr: mac, MTU: l.MTU},
		PeerName:  peerName(l.Name),
		PeerMTU:   uint32(l.MTU),
	}
	if err := h.LinkAdd(veth); err != nil {
		return fmt.Errorf("creating veth %s (peer %s): %w", l.Name, veth.PeerName, err)
	}
	// Both ends up: a veth reports operstate "up" only when its peer is up, and the fake
	// tree says "up".
	var errs []error
	for _, name := range []string{l.Name, veth.PeerName} {
		if err := setUp(h, name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func setUp(h *netlink.Handle, name string) error {
	link, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("finding %s: %w", name, err)
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("setting %s up: %w", name, err)
	}
	return nil
}
