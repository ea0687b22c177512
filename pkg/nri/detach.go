package nri

import (
	"context"
	"errors"
	"fmt"

	nriapi "github.com/containerd/nri/pkg/api"
	"k8s.io/klog/v2"

	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/plan"
)

// StopPodSandbox brings the pod's devices back to the host and restores them. containerd
// sends it with an empty netns path, so the path recorded at attach is used instead.
func (p *Plugin) StopPodSandbox(ctx context.Context, pod *nriapi.PodSandbox) error {
	return p.detachPod(ctx, pod)
}

// RemovePodSandbox repeats the restore for runtimes (or crashes) that skipped the stop.
func (p *Plugin) RemovePodSandbox(ctx context.Context, pod *nriapi.PodSandbox) error {
	return p.detachPod(ctx, pod)
}

func (p *Plugin) detachPod(ctx context.Context, pod *nriapi.PodSandbox) error {
	defer p.lockPod(pod.GetUid())()
	claims := p.cfg.Checkpoint.ByPod(pod.GetUid())
	var errs []error
	for _, c := range claims {
		if c.Attachment == nil {
			continue
		}
		if c.Attachment.SandboxID != pod.GetId() {
			// The devices belong to a newer sandbox of the same pod: kubelet removes a
			// dead sandbox (RemovePodSandbox, garbage collection) after it started its
			// replacement, and that must not strip the running one.
			klog.FromContext(ctx).V(2).Info("Leaving devices attached to another sandbox of the pod",
				"claim", klog.KRef(c.Namespace, c.Name), "sandbox", pod.GetId(), "attachedTo", c.Attachment.SandboxID)
			continue
		}
		if err := p.detachClaim(ctx, c); err != nil {
			errs = append(errs, fmt.Errorf("restoring devices of claim %s/%s from pod %s: %w", c.Namespace, c.Name, podRef(pod), err))
		}
	}
	return errors.Join(errs...)
}

// DetachClaim restores an attached claim's devices; kubelet's unprepare calls it through
// pkg/driver when no sandbox event did it first.
func (p *Plugin) DetachClaim(ctx context.Context, c plan.Claim) error {
	defer p.lockPod(c.PodUID)()
	// Re-read under the lock: a concurrent StopPodSandbox may have finished the job.
	current, ok := p.cfg.Checkpoint.Get(c.UID)
	if !ok {
		return nil
	}
	return p.detachClaim(ctx, current)
}

// detachClaim restores devices in reverse order of attach and forgets the attachment only
// when every device is home (or gone with its netns), so a failure is retried later.
func (p *Plugin) detachClaim(ctx context.Context, c plan.Claim) error {
	if c.Attachment == nil {
		return nil
	}
	logger := klog.FromContext(ctx).WithValues("claim", klog.KRef(c.Namespace, c.Name))
	var errs []error
	for i := len(c.Devices) - 1; i >= 0; i-- {
		if i >= len(c.Attachment.Originals) {
			continue
		}
		d := c.Devices[i]
		if !d.UsesNetdev() {
			continue // nothing moved; unprepare restores a rebound driver
		}
		err := p.cfg.Host.Detach(ctx, d, c.Attachment.Originals[i], c.Attachment.NetnsPath)
		switch {
		case errors.Is(err, netdev.ErrDeviceGone):
			// A virtual device (veth, macvlan) dies with its netns: nothing is left to restore.
			logger.Info("Device was destroyed with the pod's network namespace", "device", d.Device, "hostName", d.Host.Name)
		case err != nil:
			errs = append(errs, fmt.Errorf("device %s: %w", d.Device, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := p.cfg.Checkpoint.Update(c.UID, func(stored *plan.Claim) error {
		stored.Attachment = nil
		return nil
	}); err != nil {
		return fmt.Errorf("forgetting the attachment: %w", err)
	}
	p.cfg.Status.Enqueue(clearedStatus(c))
	logger.V(2).Info("Restored claim devices", "devices", len(c.Devices))
	return nil
}
