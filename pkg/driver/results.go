package driver

import (
	"errors"
	"fmt"
	"strings"

	resourceapi "k8s.io/api/resource/v1"
)

// ownResults returns the claim's allocation results for this driver, in allocation order;
// other drivers' devices in the same claim are theirs to prepare. Every result must come
// from this node's pool: preparing a device of another node would move whatever netdev
// happens to carry the same name here.
func (d *Driver) ownResults(claim *resourceapi.ResourceClaim) ([]resourceapi.DeviceRequestAllocationResult, error) {
	var own []resourceapi.DeviceRequestAllocationResult
	var errs []error
	for i, r := range claim.Status.Allocation.Devices.Results {
		if r.Driver != d.cfg.DriverName {
			continue
		}
		if r.Pool != d.cfg.NodeName {
			errs = append(errs, fmt.Errorf("status.allocation.devices.results[%d]: device %s is from pool %q, but this node's pool is %q",
				i, r.Device, r.Pool, d.cfg.NodeName))
			continue
		}
		if r.AdminAccess != nil && *r.AdminAccess {
			errs = append(errs, fmt.Errorf("status.allocation.devices.results[%d]: device %s is allocated with adminAccess, which netclaim does not support: "+
				"moving the interface would take it away from the pod that owns it", i, r.Device))
			continue
		}
		own = append(own, r)
	}
	return own, errors.Join(errs...)
}

// parentRequest is the request part of a result's "request/subrequest" name.
func parentRequest(request string) string {
	parent, _, _ := strings.Cut(request, "/")
	return parent
}
