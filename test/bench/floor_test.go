package bench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/test/netnstest"
)

// floor is the least a program can do to give the pod the same interface: the lower
// bound netclaim is held to. It keeps nothing but what any daemon keeps (a netlink socket
// in the host netns, opened once), and per operation does only what the kernel needs:
//
//	attach: open the pod netns; open one netlink socket in it;
//	        1 round trip on the host socket:  RTM_NEWLINK move + rename + MTU;
//	        1 round trip on the pod socket:   RTM_NEWADDR x2, RTM_NEWLINK up, RTM_NEWROUTE
//	                                          in one sendmsg, four acks read back.
//	detach: open the pod netns; open one netlink socket in it;
//	        1 round trip on it:               RTM_NEWLINK move back + rename + MTU + up.
//
// Addresses, up and the route must come from a socket inside the pod netns (RTM_NEWADDR
// and RTM_NEWROUTE have no target-namespace attribute), and a new pod is a new
// namespace, so that socket is opened per operation, as netclaim's is. The kernel keeps
// the device's ifindex across the move when it is free in the pod netns (a fresh pod
// netns has only lo), so the floor addresses the device by the index it already knows; a
// renumbered device would make the second round trip fail with ENODEV, not pass silently.
//
// The messages carry what vishvananda/netlink (netclaim, the CNI plugins) sends for the
// same calls: IFA_LOCAL, IFA_ADDRESS, IFA_BROADCAST for IPv4, IFA_F_NODAD for IPv6 (as
// netclaim does), NLM_F_CREATE|NLM_F_REPLACE for addresses and routes.
type floor struct {
	nic     netnstest.NIC
	index   int
	podPath string
	// self is the process's own netns, where a thread returns after opening a socket
	// elsewhere; hostNs is the node's (the floor's "host").
	self, hostNs *os.File
	host         *rawSocket
}

func newFloor(tb testing.TB, n *node, nic netnstest.NIC) *floor {
	tb.Helper()
	link, err := n.Node.LinkByName(nic.Name)
	if err != nil {
		tb.Fatalf("floor: looking up %s: %v", nic.Name, err)
	}
	self, err := os.Open("/proc/self/ns/net")
	if err != nil {
		tb.Fatalf("floor: %v", err)
	}
	tb.Cleanup(func() { _ = self.Close() })
	hostNs, err := os.Open(n.NodePath)
	if err != nil {
		tb.Fatalf("floor: %v", err)
	}
	tb.Cleanup(func() { _ = hostNs.Close() })
	host, err := socketIn(int(hostNs.Fd()), int(self.Fd()))
	if err != nil {
		tb.Fatalf("floor: host socket: %v", err)
	}
	tb.Cleanup(func() { _ = host.close() })
	return &floor{nic: nic, index: link.Attrs().Index, podPath: n.PodPath, self: self, hostNs: hostNs, host: host}
}

func (f *floor) attach() (err error) {
	podNs, pod, err := f.openPod()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, pod.close(), unix.Close(podNs)) }()
	if err := f.host.roundTrip(f.moveIn(podNs)); err != nil {
		return fmt.Errorf("floor: moving %s into the pod: %w", f.nic.Name, err)
	}
	return pod.roundTrip(
		addrMsg(f.index, podAddr4, 0),
		addrMsg(f.index, podAddr6, unix.IFA_F_NODAD),
		upMsg(f.index),
		routeMsg(f.index, routeDst, routeGW),
	)
}

func (f *floor) detach() (err error) {
	podNs, pod, err := f.openPod()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, pod.close(), unix.Close(podNs)) }()
	return pod.roundTrip(f.moveOut())
}

// openPod opens the pod netns with a bare open(2) (os.Open would also register the file
// with Go's poller) and a netlink socket inside it.
func (f *floor) openPod() (int, *rawSocket, error) {
	podNs, err := unix.Open(f.podPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, nil, fmt.Errorf("floor: opening %s: %w", f.podPath, err)
	}
	pod, err := socketIn(podNs, int(f.self.Fd()))
	if err != nil {
		return -1, nil, errors.Join(fmt.Errorf("floor: pod socket: %w", err), unix.Close(podNs))
	}
	return podNs, pod, nil
}

// moveIn is the one message that moves, renames and sets the MTU: do_setlink changes the
// netns first, then the name in the new netns, then the MTU.
func (f *floor) moveIn(podNs int) []byte {
	req := linkMsg(f.index, 0)
	req.AddData(nl.NewRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(podNs))))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(podIfName)))
	req.AddData(nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(podMTU)))
	return req.Serialize()
}

// moveOut returns the device with its name, MTU and up state: the flags change comes
// last in do_setlink, after the move closed the device.
func (f *floor) moveOut() []byte {
	req := linkMsg(f.index, unix.IFF_UP)
	req.AddData(nl.NewRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(f.hostNs.Fd()))))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(f.nic.Name)))
	req.AddData(nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(f.nic.MTU))))
	return req.Serialize()
}

// linkMsg is an RTM_NEWLINK for an existing device; up sets IFF_UP (0: leave flags).
func linkMsg(index int, up uint32) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	msg.Flags, msg.Change = up, up
	req.AddData(msg)
	return req
}

func upMsg(index int) []byte { return linkMsg(index, unix.IFF_UP).Serialize() }

func addrMsg(index int, cidr string, flags uint8) []byte {
	ip, ipNet, err := net.ParseCIDR(cidr)
	if err != nil {
		panic(err) // constants
	}
	family, addr := unix.AF_INET6, ip.To16()
	if v4 := ip.To4(); v4 != nil {
		family, addr = unix.AF_INET, v4
	}
	ones, _ := ipNet.Mask.Size()
	req := nl.NewNetlinkRequest(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_REPLACE|unix.NLM_F_ACK)
	msg := nl.NewIfAddrmsg(family)
	msg.Index = uint32(index)
	msg.Prefixlen = uint8(ones)
	msg.Flags = flags
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFA_LOCAL, addr))
	req.AddData(nl.NewRtAttr(unix.IFA_ADDRESS, addr))
	if family == unix.AF_INET {
		brd := make(net.IP, len(addr))
		for i := range addr {
			brd[i] = addr[i] | ^ipNet.Mask[i]
		}
		req.AddData(nl.NewRtAttr(unix.IFA_BROADCAST, brd))
	}
	return req.Serialize()
}

func routeMsg(index int, dst, gw string) []byte {
	_, dstNet, err := net.ParseCIDR(dst)
	if err != nil {
		panic(err) // constants
	}
	ones, _ := dstNet.Mask.Size()
	req := nl.NewNetlinkRequest(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE|unix.NLM_F_ACK)
	msg := nl.NewRtMsg()
	msg.Family = unix.AF_INET
	msg.Dst_len = uint8(ones)
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.RTA_DST, dstNet.IP.To4()))
	req.AddData(nl.NewRtAttr(unix.RTA_GATEWAY, net.ParseIP(gw).To4()))
	req.AddData(nl.NewRtAttr(unix.RTA_OIF, nl.Uint32Attr(uint32(index))))
	return req.Serialize()
}

// rawSocket is a NETLINK_ROUTE socket used without a library's request loop, so that
// several requests can share one sendmsg.
type rawSocket struct{ fd int }

// socketIn opens a netlink socket inside ns: a socket belongs to the netns of the thread
// that creates it. The calling goroutine's thread enters ns for the socket() call only
// and goes back to self. If it cannot go back it stays locked, so the runtime discards
// the thread when the goroutine ends instead of reusing it in the wrong namespace; the
// caller fails the benchmark on the error.
func socketIn(ns, self int) (*rawSocket, error) {
	runtime.LockOSThread()
	if err := unix.Setns(ns, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("entering netns: %w", err)
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if restoreErr := unix.Setns(self, unix.CLONE_NEWNET); restoreErr != nil {
		return nil, errors.Join(err, fmt.Errorf("leaving netns: %w", restoreErr), closeFD(fd))
	}
	runtime.UnlockOSThread()
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	return &rawSocket{fd: fd}, nil
}

func closeFD(fd int) error {
	if fd < 0 {
		return nil
	}
	return unix.Close(fd)
}

func (s *rawSocket) close() error { return unix.Close(s.fd) }

// roundTrip sends the serialized requests in one sendmsg and reads until every one of
// them is acknowledged. The kernel handles them in order and acks each, failed or not.
func (s *rawSocket) roundTrip(msgs ...[]byte) error {
	var batch []byte
	pending := map[uint32]int{}
	for i, m := range msgs {
		pending[binary.NativeEndian.Uint32(m[8:12])] = i
		batch = append(batch, m...)
	}
	if err := unix.Sendto(s.fd, batch, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("sendto: %w", err)
	}
	var errs []error
	var buf [4096]byte // an ack echoes its request: well under a page each
	for len(pending) > 0 {
		n, _, err := unix.Recvfrom(s.fd, buf[:], 0)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("recvfrom: %w", err))...)
		}
		replies, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("parsing reply: %w", err))...)
		}
		for _, r := range replies {
			i, ours := pending[r.Header.Seq]
			if !ours || r.Header.Type != unix.NLMSG_ERROR {
				continue
			}
			delete(pending, r.Header.Seq)
			if errno := -int32(binary.NativeEndian.Uint32(r.Data[0:4])); errno != 0 {
				errs = append(errs, fmt.Errorf("request %d of %d: %w", i+1, len(msgs), syscall.Errno(errno)))
			}
		}
	}
	return errors.Join(errs...)
}
