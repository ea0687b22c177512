package nodeagent

import (
	"testing"

	drapb "k8s.io/kubelet/pkg/apis/dra/v1"
)

func TestClaimErrors(t *testing.T) {
	claims := []claimRef{
		{Namespace: "ns", Name: "a", UID: "uid-a"},
		{Namespace: "ns", Name: "b", UID: "uid-b"},
		{Namespace: "ns", Name: "c", UID: "uid-c"},
	}
	tests := []struct {
		name    string
		results map[string]*drapb.NodePrepareResourceResponse
		want    string
	}{
		{
			name: "all prepared",
			results: map[string]*drapb.NodePrepareResourceResponse{
				"uid-a": {}, "uid-b": {}, "uid-c": {},
			},
		},
		{
			name: "a claim failed and one was left out, reported in claim order with kubelet's wording",
			results: map[string]*drapb.NodePrepareResourceResponse{
				"uid-a": {}, "uid-c": {Error: `spec.vlan: 5000 is outside 1..4094`},
			},
			want: "NodePrepareResources left out claim ns/b\n" +
				"NodePrepareResources failed for claim ns/c: spec.vlan: 5000 is outside 1..4094",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := claimErrors("NodePrepareResources", claims, tt.results)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
}
