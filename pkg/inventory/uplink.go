package inventory

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Route flags of the kernel's route tables (include/uapi/linux/route.h, ipv6_route.h).
const (
	rtfUp     = 0x0001
	rtfReject = 0x0200
)

// defaultRouteInterfaces returns the interfaces that carry a default route, from
// HostRoot/proc/net/route (IPv4) and HostRoot/proc/net/ipv6_route (IPv6). Handing one of
// them to a pod would cut the node off the network.
func defaultRouteInterfaces(hostRoot string) (map[string]bool, error) {
	uplinks := make(map[string]bool)
	v4 := filepath.Join(hostRoot, "proc/net/route")
	if err := scanRouteFile(v4, ipv4DefaultRoute, uplinks); err != nil {
		return nil, fmt.Errorf("reading IPv4 routes from %s: %w", v4, err)
	}
	v6 := filepath.Join(hostRoot, "proc/net/ipv6_route")
	if err := scanRouteFile(v6, ipv6DefaultRoute, uplinks); err != nil {
		return nil, fmt.Errorf("reading IPv6 routes from %s: %w", v6, err)
	}
	return uplinks, nil
}

// scanRouteFile adds the interface of every line isDefault accepts. A missing file means the
// address family is disabled (or a captured host has none), not an error.
func scanRouteFile(path string, isDefault func(fields []string) (string, bool), into map[string]bool) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if ifName, ok := isDefault(strings.Fields(s.Text())); ok {
			into[ifName] = true
		}
	}
	return s.Err()
}

// ipv4DefaultRoute reads a /proc/net/route line:
// Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT.
func ipv4DefaultRoute(fields []string) (string, bool) {
	if len(fields) < 8 || fields[1] != "00000000" || fields[7] != "00000000" {
		return "", false
	}
	flags, err := strconv.ParseUint(fields[3], 16, 32)
	if err != nil || flags&rtfUp == 0 {
		return "", false // the header line, or a route that is not up
	}
	return fields[0], true
}

// ipv6DefaultRoute reads a /proc/net/ipv6_route line:
// dest dest_len src src_len next_hop metric refcnt use flags device.
// The kernel keeps an unreachable ::/0 route on lo (RTF_REJECT); it is not a default route.
func ipv6DefaultRoute(fields []string) (string, bool) {
	if len(fields) < 10 || strings.Trim(fields[0], "0") != "" || fields[1] != "00" {
		return "", false
	}
	flags, err := strconv.ParseUint(fields[8], 16, 32)
	if err != nil || flags&rtfUp == 0 || flags&rtfReject != 0 || fields[9] == "lo" {
		return "", false
	}
	return fields[9], true
}

// hostBoundInterfaces is the uplinks plus everything below them: bond slaves and bridge
// ports of an uplink bond or bridge, the parent of an uplink VLAN, and so on down. Moving
// any of them into a pod would take the node's connectivity with it. The kernel records
// the stacking in sysfs as lower_<name> links (a master's slaves are its lowers), on live
// and captured hosts alike; lowersOf reads them.
func hostBoundInterfaces(uplinks map[string]bool, lowersOf func(ifName string) ([]string, error)) (map[string]bool, error) {
	bound := make(map[string]bool, len(uplinks))
	var pending []string
	for name := range uplinks {
		bound[name] = true
		pending = append(pending, name)
	}
	for len(pending) > 0 {
		name := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		lowers, err := lowersOf(name)
		if err != nil {
			return nil, fmt.Errorf("interface %s: listing lower interfaces: %w", name, err)
		}
		for _, lower := range lowers {
			if !bound[lower] {
				bound[lower] = true
				pending = append(pending, lower)
			}
		}
	}
	return bound, nil
}

// sysfsLowers lists the lower_<name> links of an interface; an interface that does not exist
// (a route file naming an interface of another namespace, or one just deleted) has none.
func sysfsLowers(sysDir string) func(string) ([]string, error) {
	return func(ifName string) ([]string, error) {
		names, err := dirNames(filepath.Join(sysDir, "class/net", ifName))
		if err != nil {
			return nil, err
		}
		var lowers []string
		for _, n := range names {
			if lower, ok := strings.CutPrefix(n, "lower_"); ok {
				lowers = append(lowers, lower)
			}
		}
		return lowers, nil
	}
}
