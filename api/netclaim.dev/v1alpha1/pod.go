package v1alpha1

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PodInterface is one interface netclaim gives a pod: the claim and request it comes
// from, and its name in the pod ("" while the config leaves the name to the default).
type PodInterface struct {
	// Claim is the ResourceClaim as namespace/name (offline: the claim or template as named
	// in its file).
	Claim string
	// Request is the claim's request (the parent of a subrequest).
	Request string
	// Name is interface.name of the merged config, or "" for the default.
	Name string
}

// defaultInterfacePrefix is the prefix of default names, as Multus uses: net1, net2, ...
const defaultInterfacePrefix = "net"

// DefaultInterfaceName is the n-th default interface name, counting from 1: net1, net2, ...
// An omitted interface.name defaults in request order: the driver walks the pod's
// interfaces in the order of its claims and their requests and gives each unnamed one the
// lowest default name that no interface of the pod takes explicitly (AssignInterfaceNames).
func DefaultInterfaceName(n int) string {
	return defaultInterfacePrefix + strconv.Itoa(n)
}

// AssignInterfaceNames returns a copy of ifaces, in request order, in which every empty
// Name holds the lowest default name (DefaultInterfaceName) not taken explicitly by any of
// ifaces (earlier or later ones) or by taken, such as the pod's VRF devices.
func AssignInterfaceNames(ifaces []PodInterface, taken ...string) []PodInterface {
	used := make(map[string]bool, len(ifaces)+len(taken))
	for _, name := range taken {
		used[name] = true
	}
	for _, iface := range ifaces {
		if iface.Name != "" {
			used[iface.Name] = true
		}
	}
	out := append([]PodInterface(nil), ifaces...)
	next := 1
	for i := range out {
		if out[i].Name != "" {
			continue
		}
		for used[DefaultInterfaceName(next)] {
			next++
		}
		out[i].Name = DefaultInterfaceName(next)
		used[out[i].Name] = true
	}
	return out
}

// ValidatePodInterfaces rejects two interfaces of one pod with the same name, wherever
// they come from (two devices of one request, two requests, or two claims). It returns
// one entry per interface: nil, or the error of an interface whose name an earlier one
// takes, with a path relative to its config (interface.name) and a message naming the
// earlier one's claim and request; the caller prefixes the later one's (prepare its
// device, netclaimctl its object and request). Empty names are skipped:
// AssignInterfaceNames never produces a clash.
func ValidatePodInterfaces(ifaces []PodInterface) []*field.Error {
	errs := make([]*field.Error, len(ifaces))
	first := map[string]PodInterface{}
	for i, iface := range ifaces {
		if iface.Name == "" {
			continue
		}
		prev, dup := first[iface.Name]
		if !dup {
			first[iface.Name] = iface
			continue
		}
		e := field.Duplicate(field.NewPath("interface", "name"), iface.Name)
		e.Detail = fmt.Sprintf("claim %s request %s already names its interface %s in this pod; set a different interface.name in one of the two configs",
			prev.Claim, prev.Request, iface.Name)
		errs[i] = e
	}
	return errs
}
