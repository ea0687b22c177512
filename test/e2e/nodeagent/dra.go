package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"time"

	drapb "k8s.io/kubelet/pkg/apis/dra/v1"
)

// draCallTimeout is kubelet's timeout for NodePrepareResources and NodeUnprepareResources.
const draCallTimeout = 45 * time.Second

// prepareClaims calls NodePrepareResources for claims and reports failures with kubelet's
// wording, so events read as they would on a real node.
func prepareClaims(ctx context.Context, client drapb.DRAPluginClient, claims []claimRef) error {
	ctx, cancel := context.WithTimeout(ctx, draCallTimeout)
	defer cancel()
	resp, err := client.NodePrepareResources(ctx, &drapb.NodePrepareResourcesRequest{Claims: protoClaims(claims)})
	if err != nil {
		return fmt.Errorf("NodePrepareResources failed: %w", err)
	}
	return claimErrors("NodePrepareResources", claims, resp.GetClaims())
}

// unprepareClaims calls NodeUnprepareResources for claims.
func unprepareClaims(ctx context.Context, client drapb.DRAPluginClient, claims []claimRef) error {
	ctx, cancel := context.WithTimeout(ctx, draCallTimeout)
	defer cancel()
	resp, err := client.NodeUnprepareResources(ctx, &drapb.NodeUnprepareResourcesRequest{Claims: protoClaims(claims)})
	if err != nil {
		return fmt.Errorf("NodeUnprepareResources failed: %w", err)
	}
	return claimErrors("NodeUnprepareResources", claims, resp.GetClaims())
}

func protoClaims(claims []claimRef) []*drapb.Claim {
	out := make([]*drapb.Claim, 0, len(claims))
	for _, c := range claims {
		out = append(out, &drapb.Claim{Namespace: c.Namespace, Name: c.Name, Uid: string(c.UID)})
	}
	return out
}

// claimErrors turns per-claim results into one error, in the order of claims. A claim the
// driver left out of its answer is a failure too: kubelet would retry it.
func claimErrors[R interface{ GetError() string }](call string, claims []claimRef, results map[string]R) error {
	var errs []error
	for _, c := range claims {
		result, ok := results[string(c.UID)]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s left out claim %s/%s", call, c.Namespace, c.Name))
		case result.GetError() != "":
			errs = append(errs, fmt.Errorf("%s failed for claim %s/%s: %s", call, c.Namespace, c.Name, result.GetError()))
		}
	}
	return errors.Join(errs...)
}
