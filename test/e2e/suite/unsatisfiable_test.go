package suite

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// A claim no device satisfies (a PF name no node has) is never allocated: the pod stays
// Pending and unscheduled, with the scheduler's reason on its PodScheduled condition and
// in a FailedScheduling event.
func TestUnsatisfiableClaim_PodPendingWithSchedulerReason(t *testing.T) {
	c := localCluster(t)
	ns := newNamespace(t, c)
	class := e2eutil.CreateClass(t, c.client, e2eutil.DeviceClass(ns+"-vf", celVF))
	e2eutil.CreateClaim(t, c.client, resourceClaim(ns, "nowhere", claimSpec(
		[]resourceapi.DeviceRequest{request("net", class.Name, celOnPF("ens9f9"))}, nil)))
	e2eutil.CreatePod(t, c.client, pod(ns, "app", podClaim("net", "nowhere", false)))

	var cond corev1.PodCondition
	poll(t, "pod app PodScheduled=False", podTimeout, func(ctx context.Context) (bool, error) {
		p, err := c.client.CoreV1().Pods(ns).Get(ctx, "app", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, pc := range p.Status.Conditions {
			if pc.Type == corev1.PodScheduled && pc.Status == corev1.ConditionFalse {
				cond = pc
				return true, nil
			}
		}
		return false, nil
	})
	if cond.Reason != corev1.PodReasonUnschedulable {
		t.Errorf("PodScheduled reason = %q, want %q", cond.Reason, corev1.PodReasonUnschedulable)
	}
	requireContains(t, "PodScheduled message", cond.Message, "cannot allocate all claims")
	requireContains(t, "FailedScheduling event", waitEvent(t, c, ns, "Pod", "app", "FailedScheduling"), "cannot allocate all claims")

	p, err := c.client.CoreV1().Pods(ns).Get(context.Background(), "app", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.NodeName != "" || p.Status.Phase != corev1.PodPending {
		t.Errorf("pod is on node %q in phase %s, want unscheduled and Pending", p.Spec.NodeName, p.Status.Phase)
	}
	claim, err := c.client.ResourceV1().ResourceClaims(ns).Get(context.Background(), "nowhere", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if claim.Status.Allocation != nil {
		t.Errorf("claim allocated although no device matches: %+v", claim.Status.Allocation.Devices.Results)
	}
}
