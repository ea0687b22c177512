package driver

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"
	"k8s.io/klog/v2"

	"github.com/netclaim/netclaim/pkg/plan"
)

// pendingClaim is a claim on its way through prepare: decided and validated, not yet
// persisted.
type pendingClaim struct {
	claim   *resourceapi.ResourceClaim
	pod     podRef
	devices []pendingDevice
	// plan is the claim's complete plan, built by planClaims once the interface names
	// are known.
	plan plan.Claim
}

// PrepareResourceClaims prepares every claim in the same steps: a claim the checkpoint
// holds is answered from it (replay); any other is resolved against the inventory and its
// config (decide), its interfaces are named, its complete plan is built (planClaims), the
// host is changed where the plan says so (bindDevices: vfio-pci), its CDI spec is written,
// and all new plans are persisted with one checkpoint write. Failures are per claim
// (PrepareResult.Err); the kubelet retries those. The overall error is never set: one bad
// claim must not hide the results of the others.
func (d *Driver) PrepareResourceClaims(ctx context.Context, claims []*resourceapi.ResourceClaim) (map[types.UID]kubeletplugin.PrepareResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()

	results := make(map[types.UID]kubeletplugin.PrepareResult, len(claims))
	owners := d.preparedDeviceOwners()
	var fresh []*pendingClaim
	for _, claim := range claims {
		if prepared, ok := d.cfg.Checkpoint.Get(string(claim.UID)); ok {
			results[claim.UID] = d.replay(ctx, claim, prepared)
			continue
		}
		p, err := d.decide(claim, owners)
		if err != nil {
			results[claim.UID] = d.failed(ctx, claim, err)
			continue
		}
		owners.claim(p)
		fresh = append(fresh, p)
	}
	d.step(StepPrepareValidated)

	fresh = d.keepSucceeded(ctx, fresh, results, d.assignInterfaceNames(fresh))
	fresh = d.keepSucceeded(ctx, fresh, results, d.planClaims(ctx, fresh))
	fresh = d.keepSucceeded(ctx, fresh, results, d.bindDevices(ctx, fresh))
	fresh = d.keepSucceeded(ctx, fresh, results, d.writeCDISpecs(fresh))
	d.step(StepPrepareCDIWritten)
	fresh = d.keepSucceeded(ctx, fresh, results, d.persist(fresh))
	d.step(StepPrepareCheckpointed)

	for _, p := range fresh {
		results[p.claim.UID] = d.prepareResult(p.plan)
		klog.FromContext(ctx).V(2).Info("Prepared claim", "claim", klog.KObj(p.claim), "pod", p.pod.String(), "devices", len(p.plan.Devices))
	}
	return results, nil
}

// decide runs the per-claim steps that need nothing but the claim and the inventory.
func (d *Driver) decide(claim *resourceapi.ResourceClaim, owners deviceOwners) (*pendingClaim, error) {
	pod, err := consumerPod(claim)
	if err != nil {
		return nil, err
	}
	allocated, err := d.ownResults(claim)
	if err != nil {
		return nil, err
	}
	configs, err := d.ownConfigs(claim)
	if err != nil {
		return nil, err
	}
	devices, err := d.resolveDevices(claim, allocated, configs, owners)
	if err != nil {
		return nil, err
	}
	return &pendingClaim{claim: claim, pod: pod, devices: devices}, nil
}

// replay answers a claim the checkpoint already holds with the recorded result. The CDI
// spec is rewritten only if it is gone: /var/run is a tmpfs, and after a node reboot the
// kubelet prepares again claims whose plans survived on disk.
func (d *Driver) replay(ctx context.Context, claim *resourceapi.ResourceClaim, prepared plan.Claim) kubeletplugin.PrepareResult {
	prepared, err := d.resumeBindings(ctx, prepared)
	if err != nil {
		return d.failed(ctx, claim, err)
	}
	if len(prepared.CDIDeviceIDs) != len(prepared.Devices) {
		return d.failed(ctx, claim, fmt.Errorf("checkpoint entry has %d CDI device IDs for %d devices; unprepare the claim (delete the pod) to start over",
			len(prepared.CDIDeviceIDs), len(prepared.Devices)))
	}
	if err := d.cdi.ensure(prepared); err != nil {
		return d.failed(ctx, claim, err)
	}
	klog.FromContext(ctx).V(4).Info("Claim already prepared", "claim", klog.KObj(claim))
	return d.prepareResult(prepared)
}

// persist records all new plans with one durable write. If it fails, no claim of the
// batch is prepared, so their CDI specs go too.
func (d *Driver) persist(fresh []*pendingClaim) map[types.UID]error {
	if len(fresh) == 0 {
		return nil
	}
	plans := make([]plan.Claim, len(fresh))
	for i, p := range fresh {
		plans[i] = p.plan
	}
	err := d.cfg.Checkpoint.Put(plans...)
	if err == nil {
		return nil
	}
	failed := make(map[types.UID]error, len(fresh))
	for _, p := range fresh {
		failed[p.claim.UID] = errors.Join(err, d.cdi.remove(string(p.claim.UID)))
	}
	return failed
}

// keepSucceeded records a failed result for every claim in failed and returns the others.
func (d *Driver) keepSucceeded(ctx context.Context, fresh []*pendingClaim, results map[types.UID]kubeletplugin.PrepareResult, failed map[types.UID]error) []*pendingClaim {
	if len(failed) == 0 {
		return fresh
	}
	kept := fresh[:0]
	for _, p := range fresh {
		if err := failed[p.claim.UID]; err != nil {
			results[p.claim.UID] = d.failed(ctx, p.claim, err)
			continue
		}
		kept = append(kept, p)
	}
	return kept
}

// failed turns err into the claim's result and a Warning event on the claim, where the
// user looks first (kubectl describe).
func (d *Driver) failed(ctx context.Context, claim *resourceapi.ResourceClaim, err error) kubeletplugin.PrepareResult {
	err = fmt.Errorf("preparing claim %s/%s on node %s: %w", claim.Namespace, claim.Name, d.cfg.NodeName, err)
	klog.FromContext(ctx).Error(err, "Prepare failed", "claim", klog.KObj(claim))
	if d.cfg.Recorder != nil {
		d.cfg.Recorder.Event(claim, corev1.EventTypeWarning, "PrepareFailed", err.Error())
	}
	return kubeletplugin.PrepareResult{Err: err}
}
