package plan

import (
	"slices"
	"testing"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
)

// Prepare copies the API's VLAN protocol into the plan as it is spelled, and pkg/netdev
// parses the plan's spelling: the two lists must be the same.
func TestVLANProtocols_AreTheAPIs(t *testing.T) {
	var api []string
	for _, p := range v1alpha1.VLANProtocols {
		api = append(api, string(p))
	}
	ours := []string{VLANProtocol8021Q, VLANProtocol8021AD}
	if !slices.Equal(api, ours) {
		t.Errorf("v1alpha1.VLANProtocols = %q, plan's VLAN protocols = %q", api, ours)
	}
}
