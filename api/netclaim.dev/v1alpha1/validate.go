package v1alpha1

import "k8s.io/apimachinery/pkg/util/validation/field"

// ValidationContext carries the facts about the target device that validation needs.
// Zero values mean "unknown" and skip the checks that need them (offline validation).
type ValidationContext struct {
	// ParentMTU is the allocated device's MTU on the host.
	ParentMTU int
}

// Validate checks one (merged) NetworkConfig. Field paths are relative to the config
// (interface.mtu, routes[0].gateway); callers prefix claim and device.
func (c *NetworkConfig) Validate(vc ValidationContext) field.ErrorList {
	// TODO(helper): implemented by the validation work.
	return nil
}
