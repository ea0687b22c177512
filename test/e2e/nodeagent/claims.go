package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/dynamic-resource-allocation/resourceclaim"
)

// errClaimsPending means the pod's claims are not ready for the node yet (not created,
// not allocated, or not reserved for the pod). The pod is retried without an event:
// kube-scheduler and the resourceclaim controller are still working on it.
var errClaimsPending = errors.New("resource claims not ready")

// podClaimName is one claim a pod uses.
type podClaimName struct {
	name string
	// generated claims come from a ResourceClaimTemplate; kubelet checks the pod owns them.
	generated bool
}

// podClaimNames lists the ResourceClaims a pod uses, resolving template claims through
// status.resourceClaimStatuses as kubelet does. A claim that the resourceclaim
// controller intentionally did not create (nil name) is skipped.
func podClaimNames(pod *corev1.Pod) ([]podClaimName, error) {
	var names []podClaimName
	for i := range pod.Spec.ResourceClaims {
		name, mustCheckOwner, err := resourceclaim.Name(pod, &pod.Spec.ResourceClaims[i])
		if errors.Is(err, resourceclaim.ErrClaimNotFound) {
			return nil, fmt.Errorf("%w: %w", errClaimsPending, err)
		}
		if err != nil {
			return nil, err
		}
		if name != nil {
			names = append(names, podClaimName{name: *name, generated: mustCheckOwner})
		}
	}
	return names, nil
}

// checkClaimUsable applies kubelet's checks before prepare: a generated claim must be
// owned by the pod, and every claim must be allocated and reserved for it.
func checkClaimUsable(pod *corev1.Pod, claim *resourceapi.ResourceClaim, generated bool) error {
	if generated {
		if err := resourceclaim.IsForPod(pod, claim, false); err != nil {
			return err
		}
	}
	if claim.Status.Allocation == nil {
		return fmt.Errorf("%w: claim %s/%s is not allocated", errClaimsPending, claim.Namespace, claim.Name)
	}
	if !resourceclaim.IsReservedForPod(pod, claim, false) {
		return fmt.Errorf("%w: claim %s/%s is not reserved for pod %s/%s", errClaimsPending, claim.Namespace, claim.Name, pod.Namespace, pod.Name)
	}
	return nil
}

// usesDriver reports whether any device allocated to the claim belongs to driver.
// kubelet sends a claim to every driver that has a result in it; this agent serves only
// one driver, so devices of other drivers (the e2e suite's fake GPUs) are not prepared.
func usesDriver(claim *resourceapi.ResourceClaim, driver string) bool {
	if claim.Status.Allocation == nil {
		return false
	}
	for _, r := range claim.Status.Allocation.Devices.Results {
		if r.Driver == driver {
			return true
		}
	}
	return false
}

// podClaims is what start needs from a pod's claims.
type podClaims struct {
	// forDriver are the claims to prepare with the driver.
	forDriver []claimRef
	// allocatedAt is the latest allocation timestamp among them (zero when the API
	// server does not set it), the start of the "allocated -> configured" measurement.
	allocatedAt time.Time
}

// fetchPodClaims reads the pod's claims from the API server (kubelet does not cache
// claims across pods either) and checks each is usable by the pod.
func fetchPodClaims(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, driver string) (podClaims, error) {
	names, err := podClaimNames(pod)
	if err != nil {
		return podClaims{}, err
	}
	var out podClaims
	for _, n := range names {
		claim, err := client.ResourceV1().ResourceClaims(pod.Namespace).Get(ctx, n.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return podClaims{}, fmt.Errorf("%w: claim %s/%s does not exist yet", errClaimsPending, pod.Namespace, n.name)
		}
		if err != nil {
			return podClaims{}, fmt.Errorf("fetching ResourceClaim %s referenced by pod %s/%s: %w", n.name, pod.Namespace, pod.Name, err)
		}
		if err := checkClaimUsable(pod, claim, n.generated); err != nil {
			return podClaims{}, err
		}
		if !usesDriver(claim, driver) {
			continue
		}
		out.forDriver = append(out.forDriver, claimRef{Namespace: claim.Namespace, Name: claim.Name, UID: claim.UID})
		if ts := claim.Status.Allocation.AllocationTimestamp; ts != nil && ts.After(out.allocatedAt) {
			out.allocatedAt = ts.Time
		}
	}
	return out, nil
}
