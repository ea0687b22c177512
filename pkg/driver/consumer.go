package driver

import (
	"fmt"

	resourceapi "k8s.io/api/resource/v1"
)

// podRef is the one pod a claim is reserved for.
type podRef struct {
	UID, Namespace, Name string
}

func (p podRef) String() string { return p.Namespace + "/" + p.Name }

// consumerPod returns the pod the claim is reserved for. A netclaim device is moved into
// one pod's network namespace, so a claim shared by several consumers (or reserved for
// something that is not a pod) cannot be honoured.
func consumerPod(claim *resourceapi.ResourceClaim) (podRef, error) {
	if claim.Status.Allocation == nil {
		return podRef{}, fmt.Errorf("claim is not allocated")
	}
	reserved := claim.Status.ReservedFor
	if len(reserved) != 1 {
		return podRef{}, fmt.Errorf("status.reservedFor: reserved for %d consumers; netclaim devices are exclusive to one pod: "+
			"use one ResourceClaim (or a ResourceClaimTemplate) per pod", len(reserved))
	}
	ref := reserved[0]
	if ref.APIGroup != "" || ref.Resource != "pods" {
		return podRef{}, fmt.Errorf("status.reservedFor[0]: reserved for %s %q (group %q), not a pod; netclaim devices are moved into a pod's network namespace",
			ref.Resource, ref.Name, ref.APIGroup)
	}
	// A pod can only reference claims of its own namespace.
	return podRef{UID: string(ref.UID), Namespace: claim.Namespace, Name: ref.Name}, nil
}
