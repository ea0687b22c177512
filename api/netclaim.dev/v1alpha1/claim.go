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
	// Request is the ClaimRequest's Name.
	Request string
	Err     *field.Error
}

// maxAlternativeChoices bounds the choices of firstAvailable alternatives tried: each
// request's alternatives multiply them, and a claim is never meant to have that many.
const maxAlternativeChoices = 4096

// ValidateClaimInterfaces runs prepare's interface-name check (AssignInterfaceNames, then
// ValidatePodInterfaces) on a claim before allocation: it finds two requests of the claim,
// or two devices of one request, that would get the same interface name in the pod, after
// defaults. The scheduler picks one alternative of a firstAvailable request, so each
// choice of alternatives is checked (up to maxAlternativeChoices) and every distinct error
// is reported once. Requests whose config asks for vfio-pci get no netdev and so no name.
// claim names the claim as PodInterface.Claim does. Interfaces of the pod's other claims
// are the driver's to check at prepare.
func ValidateClaimInterfaces(claim string, requests []ClaimRequest) []RequestError {
	groups := groupAlternatives(requests)
	var out []RequestError
	seen := map[string]bool{}
	choice := make([]int, len(groups))
	for range maxAlternativeChoices {
		var ifaces []PodInterface
		var owners []string
		for g, alt := range choice {
			r := groups[g][alt]
			if r.Config != nil && r.Config.WantsVFIO() {
				continue
			}
			name := ""
			if r.Config != nil && r.Config.Interface != nil && r.Config.Interface.Name != nil {
				name = *r.Config.Interface.Name
			}
			for range max(r.Count, 1) {
				ifaces = append(ifaces, PodInterface{Claim: claim, Request: parentRequest(r.Name), Name: name})
				owners = append(owners, r.Name)
			}
		}
		for i, e := range ValidatePodInterfaces(AssignInterfaceNames(ifaces)) {
			if e == nil {
				continue
			}
			if key := owners[i] + "\x00" + e.Error(); !seen[key] {
				seen[key] = true
				out = append(out, RequestError{Request: owners[i], Err: e})
			}
		}
		if !nextChoice(choice, groups) {
			break
		}
	}
	return out
}

// groupAlternatives groups requests by their parent request, keeping their order.
func groupAlternatives(requests []ClaimRequest) [][]ClaimRequest {
	index := map[string]int{}
	var groups [][]ClaimRequest
	for _, r := range requests {
		parent := parentRequest(r.Name)
		i, ok := index[parent]
		if !ok {
			i = len(groups)
			index[parent] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
	}
	return groups
}

// nextChoice advances choice, an odometer over the groups' alternatives, and says
// whether there was a next one.
func nextChoice(choice []int, groups [][]ClaimRequest) bool {
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
