package nodeagent

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// Annotations the agent puts on a pod once its sandbox is ready; the e2e suite reads the
// attach time from them.
const (
	// AnnotationAttachMs is how long NRI RunPodSandbox took (the plugin's attach), in
	// milliseconds with microsecond decimals.
	AnnotationAttachMs = "e2e.netclaim.dev/attach-ms"
	// AnnotationConfiguredAt is when RunPodSandbox returned, RFC 3339 with nanoseconds.
	AnnotationConfiguredAt = "e2e.netclaim.dev/configured-at"
)

// Event reasons, as kubelet spells them.
const (
	reasonFailedPrepare = "FailedPrepareDynamicResources"
	reasonFailedSandbox = "FailedCreatePodSandBox"
)

// runningStatus is the status kubelet would report once every container of the pod
// started: the agent runs no processes, so a ready sandbox means a running pod.
func runningStatus(pod *corev1.Pod, sandboxID, hostIP string, startedAt time.Time) corev1.PodStatus {
	st := *pod.Status.DeepCopy()
	started := metav1.NewTime(startedAt)
	st.Phase = corev1.PodRunning
	if st.StartTime == nil {
		st.StartTime = &started
	}
	if hostIP != "" {
		st.HostIP = hostIP
		st.HostIPs = []corev1.HostIP{{IP: hostIP}}
	}
	for _, t := range []corev1.PodConditionType{
		corev1.PodScheduled, corev1.PodReadyToStartContainers, corev1.PodInitialized,
		corev1.ContainersReady, corev1.PodReady,
	} {
		setConditionTrue(&st, t, started)
	}
	st.InitContainerStatuses = nil
	for _, c := range pod.Spec.InitContainers {
		st.InitContainerStatuses = append(st.InitContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, ContainerID: fakeContainerID(sandboxID, c.Name),
			Ready: true, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				Reason: "Completed", StartedAt: started, FinishedAt: started,
			}},
		})
	}
	st.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, ContainerID: fakeContainerID(sandboxID, c.Name),
			Ready: true, Started: ptr.To(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}},
		})
	}
	return st
}

func fakeContainerID(sandboxID, name string) string {
	return "fake://" + sandboxID + "/" + name
}

// setConditionTrue sets a condition to True, keeping the transition time of one that
// already was.
func setConditionTrue(st *corev1.PodStatus, t corev1.PodConditionType, now metav1.Time) {
	for i := range st.Conditions {
		if st.Conditions[i].Type != t {
			continue
		}
		if st.Conditions[i].Status != corev1.ConditionTrue {
			st.Conditions[i].Status = corev1.ConditionTrue
			st.Conditions[i].LastTransitionTime = now
			st.Conditions[i].Reason, st.Conditions[i].Message = "", ""
		}
		return
	}
	st.Conditions = append(st.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now})
}

// attachAnnotations records the sandbox measurements on the pod.
func attachAnnotations(sb *sandboxRecord) map[string]string {
	ms := float64(sb.RunDuration.Microseconds()) / 1000
	return map[string]string{
		AnnotationAttachMs:     strconv.FormatFloat(ms, 'f', 3, 64),
		AnnotationConfiguredAt: sb.ReadyAt.UTC().Format(time.RFC3339Nano),
	}
}

// publishRunning annotates the pod, then reports it Running. The annotations go first so
// that whoever sees the pod Running also finds the measurements on it.
func (a *Agent) publishRunning(ctx context.Context, pod *corev1.Pod, sb *sandboxRecord) (*corev1.Pod, error) {
	// The UID in the patch makes it fail on a new pod that took the name (UIDs are
	// immutable), as kubelet's status patches do.
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"uid": pod.UID, "annotations": attachAnnotations(sb)}})
	if err != nil {
		return nil, err
	}
	pods := a.cfg.Client.CoreV1().Pods(pod.Namespace)
	patched, err := pods.Patch(ctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return nil, fmt.Errorf("annotating pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	patched.Status = runningStatus(patched, sb.ID, a.hostIP, sb.ReadyAt)
	updated, err := pods.UpdateStatus(ctx, patched, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("reporting pod %s/%s Running: %w", pod.Namespace, pod.Name, err)
	}
	return updated, nil
}

// deletePodObject is kubelet's last word on a terminated pod: the final delete with grace
// period 0, bound to the UID so a new pod of the same name is left alone.
func (a *Agent) deletePodObject(ctx context.Context, pod *corev1.Pod) error {
	err := a.cfg.Client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0),
		Preconditions:      metav1.NewUIDPreconditions(string(pod.UID)),
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}
