package driver

import (
	"errors"
	"fmt"
	"slices"

	resourceapi "k8s.io/api/resource/v1"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
)

// requestConfig is one decoded NetworkConfig of the allocation and the requests it
// applies to.
type requestConfig struct {
	// requests as in the allocation: empty means every request.
	requests []string
	config   *v1alpha1.NetworkConfig
}

// ownConfigs decodes this driver's opaque configs of the allocation, DeviceClass configs
// first and ResourceClaim configs after them, each group in its original order: later
// configs override earlier ones when merged, and the admin's class sets the defaults a
// user's claim refines.
func (d *Driver) ownConfigs(claim *resourceapi.ResourceClaim) ([]requestConfig, error) {
	var fromClass, fromClaim []requestConfig
	var errs []error
	for i, c := range claim.Status.Allocation.Devices.Config {
		if c.Opaque == nil || c.Opaque.Driver != d.cfg.DriverName {
			continue
		}
		path := fmt.Sprintf("status.allocation.devices.config[%d]", i)
		cfg, err := v1alpha1.Decode(c.Opaque.Parameters.Raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s (%s) opaque.parameters: %w", path, c.Source, err))
			continue
		}
		rc := requestConfig{requests: c.Requests, config: cfg}
		switch c.Source {
		case resourceapi.AllocationConfigSourceClass:
			fromClass = append(fromClass, rc)
		case resourceapi.AllocationConfigSourceClaim:
			fromClaim = append(fromClaim, rc)
		default:
			// Merge order decides which value wins; guessing it for a source this build
			// does not know could give the pod the wrong network.
			errs = append(errs, fmt.Errorf("%s.source: unsupported value %q: must be %q or %q",
				path, c.Source, resourceapi.AllocationConfigSourceClass, resourceapi.AllocationConfigSourceClaim))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return append(fromClass, fromClaim...), nil
}

// configsFor returns, in merge order, the configs that apply to an allocation result's
// request. A result of a subrequest ("req/sub") is configured by configs naming either
// the subrequest or its parent request.
func configsFor(configs []requestConfig, request string) []*v1alpha1.NetworkConfig {
	var out []*v1alpha1.NetworkConfig
	for _, c := range configs {
		if len(c.requests) == 0 || slices.Contains(c.requests, request) || slices.Contains(c.requests, parentRequest(request)) {
			out = append(out, c.config)
		}
	}
	return out
}
