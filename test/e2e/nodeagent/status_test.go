package nodeagent

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestRunningStatus_ReportsEveryContainerRunningAndThePodReady(t *testing.T) {
	scheduledAt := metav1.NewTime(time.Date(2026, 11, 22, 9, 59, 0, 0, time.UTC))
	startedAt := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	started := metav1.NewTime(startedAt)
	pod := testPod("web", "uid-web")
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: scheduledAt}}
	pod.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox:init"}}

	got := runningStatus(pod, "sb1", "192.0.2.10", startedAt)

	want := corev1.PodStatus{
		Phase:     corev1.PodRunning,
		StartTime: &started,
		HostIP:    "192.0.2.10",
		HostIPs:   []corev1.HostIP{{IP: "192.0.2.10"}},
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: scheduledAt},
			{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue, LastTransitionTime: started},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: started},
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: started},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: started},
		},
		InitContainerStatuses: []corev1.ContainerStatus{{
			Name: "init", Image: "busybox:init", ImageID: "busybox:init", ContainerID: "fake://sb1/init", Ready: true,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", StartedAt: started, FinishedAt: started}},
		}},
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: "main", Image: "busybox", ImageID: "busybox", ContainerID: "fake://sb1/main", Ready: true, Started: ptr.To(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if pod.Status.Phase != corev1.PodPending {
		t.Errorf("the pod passed in was modified: phase %s", pod.Status.Phase)
	}
}

func TestRunningStatus_TurnsAFalseConditionTrue(t *testing.T) {
	startedAt := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	pod := testPod("web", "uid-web")
	pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{
		Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", Message: "waiting",
	})
	got := runningStatus(pod, "sb1", "", startedAt)
	for _, c := range got.Conditions {
		if c.Type != corev1.PodReady {
			continue
		}
		want := corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(startedAt)}
		if diff := cmp.Diff(want, c); diff != "" {
			t.Errorf("Ready condition (-want +got):\n%s", diff)
		}
	}
}

func TestAttachAnnotations(t *testing.T) {
	sb := &sandboxRecord{
		RunDuration: 17*time.Millisecond + 234*time.Microsecond + 999*time.Nanosecond,
		ReadyAt:     time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.FixedZone("CET", 3600)),
	}
	want := map[string]string{
		AnnotationAttachMs:     "17.234",
		AnnotationConfiguredAt: "2026-11-22T09:00:00.123456789Z",
	}
	if diff := cmp.Diff(want, attachAnnotations(sb)); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
}
