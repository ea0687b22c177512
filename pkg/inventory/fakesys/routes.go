package fakesys

import (
	"fmt"
	"strings"
)

// routes writes proc/net/route and proc/net/ipv6_route as the kernel formats them: a default
// route and a connected route per uplink, plus the loopback entries every host has (among
// them an IPv6 "unreachable" default route on lo that is not a real default route).
func (w *treeWriter) routes(netdevs []*netdev) {
	var v4, v6 strings.Builder
	v4.WriteString("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n")
	const zero6 = "00000000000000000000000000000000"
	uplinks := 0
	for _, n := range netdevs {
		if !n.Uplink {
			continue
		}
		uplinks++
		// 192.168.<n>.1 as the kernel prints it: the address in host (little-endian) order.
		gateway := fmt.Sprintf("01%02XA8C0", uplinks)
		subnet := fmt.Sprintf("00%02XA8C0", uplinks)
		fmt.Fprintf(&v4, "%s\t00000000\t%s\t0003\t0\t0\t100\t00000000\t0\t0\t0\n", n.IfName, gateway)
		fmt.Fprintf(&v4, "%s\t%s\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n", n.IfName, subnet)
		fmt.Fprintf(&v6, "%s 00 %s 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 %8s\n",
			zero6, zero6, n.IfName)
		fmt.Fprintf(&v6, "fe800000000000000000000000000000 40 %s 00 %s 00000100 00000001 00000000 00000001 %8s\n",
			zero6, zero6, n.IfName)
	}
	fmt.Fprintf(&v6, "00000000000000000000000000000001 80 %s 00 %s 00000000 00000002 00000000 80200001 %8s\n", zero6, zero6, "lo")
	// RTF_REJECT|RTF_NONEXTHOP: the kernel's blackhole default on lo.
	fmt.Fprintf(&v6, "%s 00 %s 00 %s ffffffff 00000001 00000000 00200200 %8s\n", zero6, zero6, zero6, "lo")
	w.file("proc/net/route", v4.String())
	w.file("proc/net/ipv6_route", v6.String())
}
