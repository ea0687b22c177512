package main

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	sigsjson "sigs.k8s.io/json"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
)

// podClaims is a Pod's list of claims, in its order, as the driver sees them at prepare:
// interface names are per pod, so two claims of one pod may not name the same interface.
type podClaims struct {
	label     string
	namespace string
	claims    []corev1.PodResourceClaim
}

func (v *configValidator) readPod(ref string, data []byte) {
	var pod corev1.Pod
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &pod); err != nil {
		v.reportError(ref, fmt.Errorf("decoding Pod: %w", err))
		return
	}
	if len(pod.Spec.ResourceClaims) == 0 {
		return
	}
	v.pods = append(v.pods, podClaims{label: objectLabel("Pod", pod.Name, ref), namespace: pod.Namespace, claims: pod.Spec.ResourceClaims})
}

// checkPods runs prepare's interface-name check across all claims of each Pod, after
// checkMergedClaims gave every claim its merged requests. Clashes within one claim were
// reported with the claim already; only those between two claims are reported here.
func (v *configValidator) checkPods() {
	for _, pod := range v.pods {
		var claims []v1alpha1.PodClaim
		reported := map[string][]v1alpha1.RequestError{}
		for _, ref := range pod.claims {
			claim, ok := v.podClaim(pod, ref)
			if !ok || !claim.valid {
				continue
			}
			claims = append(claims, v1alpha1.PodClaim{Claim: claim.id, Requests: claim.merged})
			reported[claim.id] = claim.nameErrs
		}
		if len(claims) < 2 {
			continue
		}
		for _, e := range v1alpha1.ValidatePodClaimInterfaces(claims) {
			if slices.ContainsFunc(reported[e.Claim], sameRequestError(e)) {
				continue
			}
			v.problems++
			fmt.Fprintf(v.out, "%s claim %s request %s: %s\n", pod.label, e.Claim, e.Request, oneLine(e.Err.Error()))
		}
	}
}

// podClaim finds the ResourceClaim or ResourceClaimTemplate a Pod's entry names among the
// objects given, in the Pod's namespace (or with none, as in a file applied with -n).
func (v *configValidator) podClaim(pod podClaims, ref corev1.PodResourceClaim) (claimConfigs, bool) {
	kind, name := "ResourceClaim", ref.ResourceClaimName
	if ref.ResourceClaimTemplateName != nil {
		kind, name = "ResourceClaimTemplate", ref.ResourceClaimTemplateName
	}
	if name == nil {
		return claimConfigs{}, false
	}
	for _, c := range v.claims {
		if c.kind == kind && c.meta.Name == *name && (c.meta.Namespace == "" || pod.namespace == "" || c.meta.Namespace == pod.namespace) {
			return c, true
		}
	}
	fmt.Fprintf(v.out, "NOTE %s resourceClaims %s: %s/%s was not given; add it with -f to check the pod's interface names\n",
		pod.label, ref.Name, kind, *name)
	return claimConfigs{}, false
}

// sameRequestError matches the clash e among a claim's own clashes, which
// checkMergedClaims reported already.
func sameRequestError(e v1alpha1.RequestError) func(v1alpha1.RequestError) bool {
	return func(own v1alpha1.RequestError) bool {
		return own.Request == e.Request && own.Err.Error() == e.Err.Error()
	}
}
