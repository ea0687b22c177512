package nodeagent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// reconcile moves one pod towards what its API object asks for. pod is nil when the
// object is gone. Every step is recorded before or right after it happens, so a retry
// (or a restarted agent) continues where the last attempt stopped.
func (a *Agent) reconcile(ctx context.Context, uid types.UID, pod *corev1.Pod) error {
	rec, known := a.store.get(uid)
	switch {
	case pod == nil:
		if !known {
			return nil
		}
		return a.teardownPod(ctx, rec)
	case pod.DeletionTimestamp != nil:
		if known {
			if err := a.teardownPod(ctx, rec); err != nil {
				return err
			}
		}
		return a.deletePodObject(ctx, pod)
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		return nil
	case !known && pod.Status.Phase == corev1.PodRunning:
		// Running without a record: started by someone else (or a lost state dir). The
		// agent only undoes what it did.
		return nil
	default:
		return a.startPod(ctx, pod, rec)
	}
}

// startPod takes a bound pod to Running the way kubelet's SyncPod and containerd do:
// prepare the claims, create the sandbox (netns, then NRI RunPodSandbox), report status.
func (a *Agent) startPod(ctx context.Context, pod *corev1.Pod, rec podRecord) error {
	rec.UID, rec.Namespace, rec.Name = pod.UID, pod.Namespace, pod.Name
	if rec.Sandbox != nil && rec.Sandbox.Phase == sandboxReady {
		if pod.Status.Phase == corev1.PodRunning {
			return nil
		}
		// The sandbox is up but the status report failed earlier (or the informer has
		// not caught up with it). The measurement was logged when the sandbox came up:
		// one "Pod running" line per sandbox keeps log statistics honest.
		if _, err := a.publishRunning(ctx, pod, rec.Sandbox); err != nil {
			return err
		}
		klog.FromContext(ctx).V(2).Info("Pod status reported again", "pod", klog.KObj(pod), "sandbox", rec.Sandbox.ID)
		return nil
	}
	claims, err := a.prepare(ctx, pod, &rec)
	if err != nil {
		return err
	}
	if rec.Sandbox != nil {
		// Left by an attempt that was interrupted (agent restart) or already stopped.
		if err := a.discardSandbox(ctx, &rec); err != nil {
			return err
		}
	}
	if err := a.runSandbox(ctx, pod, &rec); err != nil {
		return err
	}
	a.logRunning(ctx, pod, rec.Sandbox, claims.allocatedAt)
	_, err = a.publishRunning(ctx, pod, rec.Sandbox)
	return err
}

// prepare calls NodePrepareResources for the pod's claims of the driver. The claims are
// recorded before the call: like kubelet, the agent unprepares every claim it asked to
// prepare, including one that failed half-way. kubelet skips claims it already prepared
// for the pod; the agent asks again on every attempt, which a driver must treat as a no-op
// anyway (kubelet repeats prepares after its own restarts).
func (a *Agent) prepare(ctx context.Context, pod *corev1.Pod, rec *podRecord) (podClaims, error) {
	claims, err := fetchPodClaims(ctx, a.cfg.Client, pod, a.cfg.DriverName)
	if errors.Is(err, errClaimsPending) {
		return podClaims{}, err
	}
	if err == nil && len(claims.forDriver) > 0 {
		err = a.prepareRecorded(ctx, rec, claims.forDriver)
	}
	if err != nil {
		a.cfg.Recorder.Eventf(pod, corev1.EventTypeWarning, reasonFailedPrepare, "Failed to prepare dynamic resources: %v", err)
		return podClaims{}, err
	}
	return claims, nil
}

func (a *Agent) prepareRecorded(ctx context.Context, rec *podRecord, claims []claimRef) error {
	client, err := a.plugins.client(a.cfg.DriverName)
	if err != nil {
		return err
	}
	rec.PreparedClaims = mergeClaims(rec.PreparedClaims, claims)
	if err := a.store.put(*rec); err != nil {
		return err
	}
	start := time.Now()
	if err := prepareClaims(ctx, client, claims); err != nil {
		return err
	}
	klog.FromContext(ctx).Info("Prepared claims", "pod", klog.KRef(rec.Namespace, rec.Name),
		"claims", len(claims), "prepareMs", millis(time.Since(start)))
	return nil
}

// runSandbox creates the pod's netns and sends NRI RunPodSandbox. On failure it does what
// containerd does: remove the netns and forget the sandbox, without NRI RemovePodSandbox
// (a plugin that fails RunPodSandbox must undo its own work).
func (a *Agent) runSandbox(ctx context.Context, pod *corev1.Pod, rec *podRecord) error {
	id, err := newSandboxID()
	if err != nil {
		return err
	}
	sb := &sandboxRecord{ID: id, HostNetwork: pod.Spec.HostNetwork, Phase: sandboxCreating,
		Labels: sandboxLabels(pod), Annotations: maps.Clone(pod.Annotations)}
	if !pod.Spec.HostNetwork {
		sb.NetnsPath = PodNetnsPath(a.cfg.NetnsPrefix, pod.UID)
	}
	rec.Sandbox = sb
	// Recorded before the netns exists, so an agent that dies now still cleans it up.
	if err := a.store.put(*rec); err != nil {
		return err
	}
	if !sb.HostNetwork {
		if _, err := createPodNetns(filepath.Base(sb.NetnsPath)); err != nil {
			return a.sandboxFailed(pod, rec, err)
		}
	}
	defer a.runtime.blockSync()()
	start := time.Now()
	if err := a.runtime.runPodSandbox(ctx, nriSandbox(*rec, true)); err != nil {
		return a.sandboxFailed(pod, rec, err)
	}
	sb.RunDuration = time.Since(start)
	sb.ReadyAt = time.Now()
	sb.Phase = sandboxReady
	// Should this write fail, the record still says "creating" and the next attempt stops
	// and removes this sandbox before it makes a new one.
	return a.store.put(*rec)
}

// sandboxFailed reports a sandbox that could not be created, as kubelet does, and drops it.
func (a *Agent) sandboxFailed(pod *corev1.Pod, rec *podRecord, err error) error {
	a.cfg.Recorder.Eventf(pod, corev1.EventTypeWarning, reasonFailedSandbox, "Failed to create pod sandbox: %v", err)
	return errors.Join(err, a.forgetSandbox(rec))
}

// forgetSandbox drops a sandbox whose creation failed: its netns goes (the name is this
// pod's, so an existing one is a leftover of an attempt whose record was lost), and the
// plugin is not told (it saw the failure).
func (a *Agent) forgetSandbox(rec *podRecord) error {
	if !rec.Sandbox.HostNetwork {
		if err := deletePodNetns(filepath.Base(rec.Sandbox.NetnsPath)); err != nil {
			return err
		}
	}
	rec.Sandbox = nil
	return a.store.put(*rec)
}

// teardownPod undoes everything for a pod in kubelet's order: stop the sandbox (NRI
// StopPodSandbox, then the netns goes, as in containerd's StopPodSandbox), unprepare the
// claims (kubelet's SyncTerminatedPod), and only then remove the sandbox (NRI
// RemovePodSandbox, which kubelet's sandbox garbage collection issues after the pod
// worker finished). Each step is recorded, so a failed step is retried alone.
func (a *Agent) teardownPod(ctx context.Context, rec podRecord) error {
	if rec.Sandbox != nil {
		if err := a.stopSandbox(ctx, &rec); err != nil {
			return err
		}
	}
	if len(rec.PreparedClaims) > 0 {
		client, err := a.plugins.client(a.cfg.DriverName)
		if err != nil {
			return fmt.Errorf("unpreparing claims of pod %s: %w", rec.ref(), err)
		}
		if err := unprepareClaims(ctx, client, rec.PreparedClaims); err != nil {
			return fmt.Errorf("unpreparing claims of pod %s: %w", rec.ref(), err)
		}
		rec.PreparedClaims = nil
		if err := a.store.put(rec); err != nil {
			return err
		}
	}
	if rec.Sandbox != nil {
		if err := a.removeSandbox(ctx, &rec); err != nil {
			return err
		}
	}
	klog.FromContext(ctx).Info("Pod torn down", "pod", klog.KRef(rec.Namespace, rec.Name), "uid", rec.UID)
	return a.store.remove(rec.UID)
}

// discardSandbox stops and removes a sandbox left by an earlier attempt.
func (a *Agent) discardSandbox(ctx context.Context, rec *podRecord) error {
	if err := a.stopSandbox(ctx, rec); err != nil {
		return err
	}
	return a.removeSandbox(ctx, rec)
}

// stopSandbox is containerd's StopPodSandbox: a failed NRI stop notification is only
// logged, the netns is removed regardless, and only a failure to remove it fails the stop.
func (a *Agent) stopSandbox(ctx context.Context, rec *podRecord) error {
	sb := rec.Sandbox
	if sb.Phase == sandboxStopped {
		return nil
	}
	defer a.runtime.blockSync()()
	if err := a.runtime.stopPodSandbox(ctx, nriSandbox(*rec, false)); err != nil {
		klog.FromContext(ctx).Error(err, "NRI sandbox stop notification failed", "pod", klog.KRef(rec.Namespace, rec.Name), "sandbox", sb.ID)
	}
	if !sb.HostNetwork {
		if err := deletePodNetns(filepath.Base(sb.NetnsPath)); err != nil {
			return fmt.Errorf("stopping sandbox %s of pod %s: %w", sb.ID, rec.ref(), err)
		}
	}
	sb.Phase = sandboxStopped
	return a.store.put(*rec)
}

// removeSandbox is containerd's RemovePodSandbox: the NRI notification's failure is only
// logged and the sandbox is forgotten.
func (a *Agent) removeSandbox(ctx context.Context, rec *podRecord) error {
	defer a.runtime.blockSync()()
	if err := a.runtime.removePodSandbox(ctx, nriSandbox(*rec, false)); err != nil {
		klog.FromContext(ctx).Error(err, "NRI pod removal notification failed", "pod", klog.KRef(rec.Namespace, rec.Name), "sandbox", rec.Sandbox.ID)
	}
	rec.Sandbox = nil
	return a.store.put(*rec)
}

// logRunning records the pod's start measurements in one structured line.
func (a *Agent) logRunning(ctx context.Context, pod *corev1.Pod, sb *sandboxRecord, allocatedAt time.Time) {
	kv := []any{"pod", klog.KObj(pod), "sandbox", sb.ID, "netns", sb.NetnsPath,
		"runPodSandboxMs", millis(sb.RunDuration), "configuredAt", sb.ReadyAt.UTC().Format(time.RFC3339Nano)}
	if !allocatedAt.IsZero() {
		// The API's allocation timestamp has whole seconds only.
		kv = append(kv, "claimAllocatedAt", allocatedAt.UTC().Format(time.RFC3339), "allocatedToConfiguredMs", millis(sb.ReadyAt.Sub(allocatedAt)))
	}
	klog.FromContext(ctx).Info("Pod running", kv...)
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// newSandboxID makes an ID shaped like containerd's: 32 random bytes in hex.
func newSandboxID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a sandbox ID: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// sandboxLabels are the pod's labels plus the ones kubelet adds to every sandbox.
func sandboxLabels(pod *corev1.Pod) map[string]string {
	labels := maps.Clone(pod.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels["io.kubernetes.pod.name"] = pod.Name
	labels["io.kubernetes.pod.namespace"] = pod.Namespace
	labels["io.kubernetes.pod.uid"] = string(pod.UID)
	return labels
}

// mergeClaims adds claims not yet in have, keeping have's order.
func mergeClaims(have, add []claimRef) []claimRef {
	out := slices.Clone(have)
	for _, c := range add {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
