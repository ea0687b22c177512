package v1alpha1

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ClaimRequest is one request of a claim as offline validation sees it, before the
// scheduler allocates it.
type ClaimRequest struct {
	// Name is the request's name; an alternative of a firstAvailable request is
	// request/subrequest.
	Name string
	// Count is how many devices the request gets: its count for an exact count, 1 when
	// unknown (allocationMode All).
	Count int
	// Config is the request's merged config; nil when no config applies.
	Config *NetworkConfig
}

// RequestError is an error about one request of a claim.
type RequestError struct {
	// Claim is the PodClaim's Claim (ValidatePodClaimInterfaces only).
	Claim string
	// Request is the ClaimRequest's Name.
	Request string
	Err     *field.Error
}

// PodClaim is one claim of a pod as offline validation sees it: the claim's name as
// PodInterface.Claim holds it, and its requests.
type PodClaim struct {
	Claim    string
	Requests []ClaimRequest
}

// maxAlternativeChoices bounds the choices of firstAvailable alternatives tried: each
// request's alternatives multiply them, and a claim is never meant to have that many.
const maxAlternativeChoices = 4096

// ValidateClaimInterfaces runs prepare's interface-name check (AssignInterfaceNames, then
// ValidatePodInterfaces) on a claim before allocation: it finds two requests of the claim,
// or two devices of one request, that would get the same interface name in the pod, after
// defaults. claim names the claim as PodInterface.Claim does. ValidatePodClaimInterfaces
// does the same across all claims of a pod.
func ValidateClaimInterfaces(claim string, requests []ClaimRequest) []RequestError {
	return ValidatePodClaimInterfaces([]PodClaim{{Claim: claim, Requests: requests}})
}

// ValidatePodClaimInterfaces runs prepare's interface-name check on the claims of one pod,
// in the pod's order: names are per pod, since its claims share one network namespace.
// The scheduler picks one alternative of a firstAvailable request, so each choice of
// alternatives is checked (up to maxAlternativeChoices) and every distinct error is
// reported once. Requests whose config asks for vfio-pci get no netdev and so no name.
func ValidatePodClaimInterfaces(claims []PodClaim) []RequestError {
	groups := groupAlternatives(claims)
	var out []RequestError
	seen := map[string]bool{}
	choice := make([]int, len(groups))
	for range maxAlternativeChoices {
		var ifaces []PodInterface
		var owners []claimRequest // index for index with ifaces
		for g, alt := range choice {
			r := groups[g][alt]
			for _, iface := range r.interfaces() {
				ifaces = append(ifaces, iface)
				owners = append(owners, r)
			}
		}
		for i, e := range ValidatePodInterfaces(AssignInterfaceNames(ifaces)) {
			if e == nil {
				continue
			}
			owner := owners[i]
			if key := owner.claim + "\x00" + owner.Name + "\x00" + e.Error(); !seen[key] {
				seen[key] = true
				out = append(out, RequestError{Claim: owner.claim, Request: owner.Name, Err: e})
			}
		}
		if !nextChoice(choice, groups) {
			break
		}
	}
	return out
}

// claimRequest is a ClaimRequest with the claim it belongs to.
type claimRequest struct {
	claim string
	ClaimRequest
}

// interfaces are the pod interfaces the request's devices get: none for vfio-pci.
func (r claimRequest) interfaces() []PodInterface {
	if r.Config != nil && r.Config.WantsVFIO() {
		return nil
	}
	name := ""
	if r.Config != nil && r.Config.Interface != nil && r.Config.Interface.Name != nil {
		name = *r.Config.Interface.Name
	}
	out := make([]PodInterface, max(r.Count, 1))
	for i := range out {
		out[i] = PodInterface{Claim: r.claim, Request: parentRequest(r.Name), Name: name}
	}
	return out
}

// groupAlternatives groups the claims' requests by claim and parent request, keeping
// their order: the alternatives of one firstAvailable request form a group.
func groupAlternatives(claims []PodClaim) [][]claimRequest {
	index := map[string]int{}
	var groups [][]claimRequest
	for _, c := range claims {
		for _, r := range c.Requests {
			key := c.Claim + "\x00" + parentRequest(r.Name)
			i, ok := index[key]
			if !ok {
				i = len(groups)
				index[key] = i
				groups = append(groups, nil)
			}
			groups[i] = append(groups[i], claimRequest{claim: c.Claim, ClaimRequest: r})
		}
	}
	return groups
}

// nextChoice advances choice, an odometer over the groups' alternatives, and says
// whether there was a next one.
func nextChoice(choice []int, groups [][]claimRequest) bool {
	for g := len(choice) - 1; g >= 0; g-- {
		choice[g]++
		if choice[g] < len(groups[g]) {
			return true
		}
		choice[g] = 0
	}
	return false
}

// parentRequest is the request a subrequest (request/subrequest) belongs to.
func parentRequest(name string) string {
	parent, _, _ := strings.Cut(name, "/")
	return parent
}
