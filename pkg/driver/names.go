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
// results, skipping taken names.
func (d *Driver) assignInterfaceNames(fresh []*pendingClaim) map[types.UID]error {
	failed := map[types.UID]error{}
	for _, claims := range groupByPod(fresh) {
		accepted := d.preparedInterfaces(claims[0].pod.UID)
		named := v1alpha1.AssignInterfaceNames(slices.Concat(accepted, freshInterfaces(claims)))[len(accepted):]
		for _, p := range claims {
			devices := p.netdevDevices()
			mine := named[:len(devices)]
			named = named[len(devices):]
			if err := validateAgainst(accepted, mine, devices); err != nil {
				failed[p.claim.UID] = err
				continue
			}
			for i, dev := range devices {
				dev.ifName = mine[i].Name
			}
			accepted = append(accepted, mine...)
		}
	}
	return failed
}

// validateAgainst checks a claim's interfaces (of devices, in order) against those the
// pod already has. Listing the claim's own last makes every error fall on this claim's
// device (the later one), which prefixes it as resolveDevices prefixes config errors.
func validateAgainst(accepted, mine []v1alpha1.PodInterface, devices []*pendingDevice) error {
	var errs []error
	for i, e := range v1alpha1.ValidatePodInterfaces(slices.Concat(accepted, mine))[len(accepted):] {
		if e != nil {
			errs = append(errs, fmt.Errorf("device %s (request %s): config %w", devices[i].result.Device, devices[i].result.Request, e))
		}
	}
	return errors.Join(errs...)
}

// preparedInterfaces are the interfaces of the pod's claims in the checkpoint.
func (d *Driver) preparedInterfaces(podUID string) []v1alpha1.PodInterface {
	var out []v1alpha1.PodInterface
	for _, c := range d.cfg.Checkpoint.ByPod(podUID) {
		for _, dev := range c.Devices {
			if !dev.UsesNetdev() {
				continue
			}
			out = append(out, v1alpha1.PodInterface{Claim: c.Namespace + "/" + c.Name, Request: dev.Request, Name: dev.Target.Name})
		}
	}
	return out
}

// freshInterfaces lists the claims' devices in order, with their explicit names.
func freshInterfaces(claims []*pendingClaim) []v1alpha1.PodInterface {
	var out []v1alpha1.PodInterface
	for _, p := range claims {
		for _, dev := range p.netdevDevices() {
			iface := v1alpha1.PodInterface{Claim: p.claim.Namespace + "/" + p.claim.Name, Request: parentRequest(dev.result.Request)}
			if ic := dev.config.Interface; ic != nil && ic.Name != nil {
				iface.Name = *ic.Name
			}
			out = append(out, iface)
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
