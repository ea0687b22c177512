package driver

import (
	"errors"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/types"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
)

// assignInterfaceNames names every device's interface in the pod and rejects clashes.
// Names are per pod, not per claim: two claims of one pod share one network namespace.
// Explicit names are taken first (those of claims prepared earlier for the pod too), then
// unnamed interfaces get net1, net2, ... in the order of the call's claims and their
// results, skipping taken names. The API's AssignInterfaceNames and
// ValidatePodInterfaces do both, as `netclaimctl validate` does for a claim or a Pod.
func (d *Driver) assignInterfaceNames(fresh []*pendingClaim) map[types.UID]error {
	failed := map[types.UID]error{}
	for _, claims := range groupByPod(fresh) {
		accepted := d.preparedInterfaces(claims[0].pod.UID)
		all := freshInterfaces(claims)
		named := v1alpha1.AssignInterfaceNames(slices.Concat(accepted.ifaces, all.ifaces))[len(accepted.ifaces):]
		for _, p := range claims {
			devices := p.netdevDevices()
			mine := podInterfaces{ifaces: named[:len(devices)], devices: all.devices[:len(devices)]}
			named, all.devices = named[len(devices):], all.devices[len(devices):]
			if err := validateAgainst(accepted, mine); err != nil {
				failed[p.claim.UID] = err
				continue
			}
			for i, dev := range devices {
				dev.ifName = mine.ifaces[i].Name
			}
			accepted.ifaces = append(accepted.ifaces, mine.ifaces...)
			accepted.devices = append(accepted.devices, mine.devices...)
		}
	}
	return failed
}

// podInterfaces are interfaces of a pod and, index for index, the devices they are.
type podInterfaces struct {
	ifaces  []v1alpha1.PodInterface
	devices []string
}

// validateAgainst checks a claim's interfaces against those the pod already has. Listing
// the claim's own last makes every error fall on this claim's device (the later one),
// which prefixes it as resolveDevices prefixes config errors, naming the device that has
// the name already too: the API's message names only its claim and request.
func validateAgainst(accepted, mine podInterfaces) error {
	ifaces := slices.Concat(accepted.ifaces, mine.ifaces)
	devices := slices.Concat(accepted.devices, mine.devices)
	var errs []error
	for i, e := range v1alpha1.ValidatePodInterfaces(ifaces) {
		if e == nil || i < len(accepted.ifaces) {
			continue
		}
		first := slices.IndexFunc(ifaces, func(o v1alpha1.PodInterface) bool { return o.Name == ifaces[i].Name })
		errs = append(errs, fmt.Errorf("device %s (request %s, same name as device %s): config %w",
			devices[i], ifaces[i].Request, devices[first], e))
	}
	return errors.Join(errs...)
}

// preparedInterfaces are the interfaces of the pod's claims in the checkpoint.
func (d *Driver) preparedInterfaces(podUID string) podInterfaces {
	var out podInterfaces
	for _, c := range d.cfg.Checkpoint.ByPod(podUID) {
		for _, dev := range c.Devices {
			if !dev.UsesNetdev() {
				continue
			}
			out.ifaces = append(out.ifaces, v1alpha1.PodInterface{Claim: c.Namespace + "/" + c.Name, Request: dev.Request, Name: dev.Target.Name})
			out.devices = append(out.devices, dev.Device)
		}
	}
	return out
}

// freshInterfaces lists the claims' devices in order, with their explicit names.
func freshInterfaces(claims []*pendingClaim) podInterfaces {
	var out podInterfaces
	for _, p := range claims {
		for _, dev := range p.netdevDevices() {
			iface := v1alpha1.PodInterface{Claim: p.claim.Namespace + "/" + p.claim.Name, Request: parentRequest(dev.result.Request)}
			if ic := dev.config.Interface; ic != nil && ic.Name != nil {
				iface.Name = *ic.Name
			}
			out.ifaces = append(out.ifaces, iface)
			out.devices = append(out.devices, dev.result.Device)
		}
	}
	return out
}

// groupByPod groups claims by pod, keeping the call's order within and across groups.
func groupByPod(claims []*pendingClaim) [][]*pendingClaim {
	index := map[string]int{}
	var groups [][]*pendingClaim
	for _, p := range claims {
		i, ok := index[p.pod.UID]
		if !ok {
			i = len(groups)
			index[p.pod.UID] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], p)
	}
	return groups
}

// netdevDevices are the claim's devices that reach the pod as a netdev, and so need an
// interface name: all but the vfio-pci ones.
func (p *pendingClaim) netdevDevices() []*pendingDevice {
	var out []*pendingDevice
	for i := range p.devices {
		if p.devices[i].vfio == nil {
			out = append(out, &p.devices[i])
		}
	}
	return out
}
