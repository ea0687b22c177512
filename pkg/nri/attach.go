package nri

import (
	"context"
	"errors"
	"fmt"

	nriapi "github.com/containerd/nri/pkg/api"
	"k8s.io/klog/v2"

	"github.com/netclaim/netclaim/pkg/plan"
)

// RunPodSandbox moves every device prepared for the pod into its network namespace.
// An error fails the sandbox; the runtime tears it down and kubelet retries, so on error
// the devices already moved are put back first and the host is left as it was.
func (p *Plugin) RunPodSandbox(ctx context.Context, pod *nriapi.PodSandbox) error {
	// Read the claims under the lock: a concurrent detach (unprepare, Synchronize) may
	// be changing their attachments.
	defer p.lockPod(pod.GetUid())()
	claims := p.cfg.Checkpoint.ByPod(pod.GetUid())
	if len(claims) == 0 {
		return nil
	}
	logger := klog.FromContext(ctx).WithValues("pod", podRef(pod), "sandbox", pod.GetId())

	nsPath, err := netnsPath(pod)
	if err != nil {
		return err
	}
	for i, c := range claims {
		if err := p.attachClaim(ctx, c, pod.GetId(), nsPath); err != nil {
			err = fmt.Errorf("attaching devices of claim %s/%s to pod %s: %w", c.Namespace, c.Name, podRef(pod), err)
			return errors.Join(err, p.rollBack(ctx, claims[:i]))
		}
		logger.V(2).Info("Attached claim", "claim", klog.KRef(c.Namespace, c.Name), "devices", len(c.Devices))
	}
	return nil
}

// rollBack restores the claims this RunPodSandbox attached before a later claim failed,
// newest first. containerd sends neither StopPodSandbox nor RemovePodSandbox for a
// sandbox whose RunPodSandbox hook failed (it arms that cleanup only after the hook
// succeeds), so nothing else would bring them home before kubelet's retry.
func (p *Plugin) rollBack(ctx context.Context, attached []plan.Claim) error {
	var errs []error
	for i := len(attached) - 1; i >= 0; i-- {
		// attached holds the claims as read before attach; the checkpoint has the
		// Attachment that says where the devices went.
		c, ok := p.cfg.Checkpoint.Get(attached[i].UID)
		if !ok {
			continue
		}
		if err := p.detachClaim(ctx, c); err != nil {
			errs = append(errs, fmt.Errorf("rolling back claim %s/%s: %w", c.Namespace, c.Name, err))
		}
	}
	return errors.Join(errs...)
}

// attachClaim snapshots, persists, then moves: the snapshot must be durable before the
// first device leaves the host, or a crash would lose what to restore.
func (p *Plugin) attachClaim(ctx context.Context, c plan.Claim, sandboxID, nsPath string) error {
	if c.Attachment != nil && c.Attachment.SandboxID != sandboxID {
		// A previous sandbox of this pod failed or vanished without StopPodSandbox
		// reaching us: bring its devices home before attaching to the new one.
		if err := p.detachClaim(ctx, c); err != nil {
			return fmt.Errorf("restoring devices from previous sandbox %s: %w", c.Attachment.SandboxID, err)
		}
		c.Attachment = nil
	}
	if c.Attachment == nil {
		att, err := p.snapshot(c, sandboxID, nsPath)
		if err != nil {
			return err
		}
		if err := p.cfg.Checkpoint.Update(c.UID, func(stored *plan.Claim) error {
			stored.Attachment = att
			return nil
		}); err != nil {
			return fmt.Errorf("persisting original device state: %w", err)
		}
		c.Attachment = att
		if p.cfg.StepHook != nil {
			p.cfg.StepHook(StepAttachSnapshotPersisted)
		}
	}
	if err := p.attachDevices(ctx, c, nsPath); err != nil {
		return errors.Join(err, p.detachClaim(ctx, c))
	}
	p.publishMetadata(ctx, c)
	p.cfg.Status.Enqueue(readyStatus(c))
	return nil
}

// publishMetadata fills the claim's device metadata files. The interfaces already work, so
// a failure here is logged rather than failing the sandbox: retrying would move them out
// and back in for a file the workload may not even read.
func (p *Plugin) publishMetadata(ctx context.Context, c plan.Claim) {
	if p.cfg.Metadata == nil {
		return
	}
	if err := p.cfg.Metadata.UpdateMetadata(ctx, c); err != nil {
		klog.FromContext(ctx).Error(err, "Writing device metadata failed; containers see the metadata of prepare only",
			"claim", c.Namespace+"/"+c.Name)
	}
}

func (p *Plugin) snapshot(c plan.Claim, sandboxID, nsPath string) (*plan.Attachment, error) {
	att := &plan.Attachment{SandboxID: sandboxID, NetnsPath: nsPath}
	for _, d := range c.Devices {
		if !d.UsesNetdev() {
			// A vfio-pci device has no netdev; the empty entry keeps Originals in
			// Devices order.
			att.Originals = append(att.Originals, plan.Original{})
			continue
		}
		orig, err := p.snapshotDevice(d)
		if err != nil {
			return nil, fmt.Errorf("device %s: reading its state before attach: %w", d.Device, err)
		}
		att.Originals = append(att.Originals, orig)
	}
	return att, nil
}

// snapshotDevice reads a device's state before attach and, for a VF with settings to
// make on its PF, the PF's entry for it: both are persisted before anything changes.
func (p *Plugin) snapshotDevice(d plan.Device) (plan.Original, error) {
	orig, err := p.cfg.Host.Snapshot(d.Host)
	if err != nil || d.VF == nil {
		return orig, err
	}
	vf, err := p.cfg.Host.SnapshotVF(*d.VF)
	if err != nil {
		return plan.Original{}, fmt.Errorf("reading VF %d's settings on PF %s: %w", d.VF.Index, d.VF.PFName, err)
	}
	orig.VF = &vf
	return orig, nil
}

func (p *Plugin) attachDevices(ctx context.Context, c plan.Claim, nsPath string) error {
	for _, d := range c.Devices {
		if !d.UsesNetdev() {
			continue // a vfio-pci device reaches the pod through CDI, not the netns
		}
		if err := p.cfg.Host.Attach(ctx, d, nsPath); err != nil {
			return fmt.Errorf("device %s: %w", d.Device, err)
		}
	}
	return nil
}
