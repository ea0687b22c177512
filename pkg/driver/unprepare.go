package driver

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"
	"k8s.io/klog/v2"

	"github.com/netclaim/netclaim/pkg/plan"
)

// UnprepareResourceClaims undoes prepare. A claim still attached (StopPodSandbox never
// came, or its detach failed) is detached first; if that fails the claim stays in the
// checkpoint and the kubelet retries, because forgetting it would strand the devices in
// the pod's namespace. Unknown claims are already unprepared.
func (d *Driver) UnprepareResourceClaims(ctx context.Context, claims []kubeletplugin.NamespacedObject) (map[types.UID]error, error) {
	d.mu.Lock()
	defer d.mu.Unlock()

	logger := klog.FromContext(ctx)
	results := make(map[types.UID]error, len(claims))
	var done []string
	for _, ref := range claims {
		prepared, ok := d.cfg.Checkpoint.Get(string(ref.UID))
		if !ok {
			// A prepare that died between writing the CDI spec and the checkpoint left
			// a spec nothing else will ever remove.
			if err := d.cdi.remove(string(ref.UID)); err != nil {
				results[ref.UID] = fmt.Errorf("unpreparing claim %s: %w", ref.String(), err)
				continue
			}
			results[ref.UID] = nil
			continue
		}
		if err := d.unprepare(ctx, prepared); err != nil {
			results[ref.UID] = fmt.Errorf("unpreparing claim %s: %w", ref.String(), err)
			logger.Error(err, "Unprepare failed", "claim", ref)
			continue
		}
		results[ref.UID] = nil
		done = append(done, prepared.UID)
	}
	if err := d.cfg.Checkpoint.Delete(done...); err != nil {
		for _, uid := range done {
			results[types.UID(uid)] = fmt.Errorf("unpreparing claim %s: %w", uid, err)
		}
		return results, nil
	}
	d.step(StepUnprepareCheckpointDeleted)
	for _, uid := range done {
		logger.V(2).Info("Unprepared claim", "claimUID", uid)
	}
	return results, nil
}

// unprepare detaches the claim if needed, puts rebound devices back on their drivers and
// removes its CDI spec.
func (d *Driver) unprepare(ctx context.Context, c plan.Claim) error {
	if c.Attachment != nil {
		if d.cfg.Detacher == nil {
			return fmt.Errorf("devices are still attached to sandbox %s and this plugin has no detacher", c.Attachment.SandboxID)
		}
		if err := d.cfg.Detacher.DetachClaim(ctx, c); err != nil {
			return fmt.Errorf("detaching devices from sandbox %s: %w", c.Attachment.SandboxID, err)
		}
		d.step(StepUnprepareDetached)
	}
	if rebindsDevices(c) {
		if err := d.restoreBindings(ctx, c); err != nil {
			return err
		}
		d.step(StepUnprepareDriversRestored)
	}
	if err := d.cdi.remove(c.UID); err != nil {
		return err
	}
	d.step(StepUnprepareCDIRemoved)
	return nil
}
