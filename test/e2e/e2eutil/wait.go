package e2eutil

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// Poll retries cond every interval until it returns true, failing the test with what it
// waited for when timeout passes or cond errs.
func Poll(t testing.TB, what string, interval, timeout time.Duration, cond wait.ConditionWithContextFunc) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), interval, timeout, true, cond); err != nil {
		t.Fatalf("waiting for %s (up to %s): %v", what, timeout, err)
	}
}

// WaitPodRunning waits until the pod is Running and returns it. A pod that ended, or an
// error reading it, ends the wait early.
func WaitPodRunning(t testing.TB, client kubernetes.Interface, ns, name string, interval, timeout time.Duration) *corev1.Pod {
	t.Helper()
	var p *corev1.Pod
	Poll(t, "pod "+ns+"/"+name+" Running", interval, timeout, func(ctx context.Context) (bool, error) {
		var err error
		if p, err = client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			return false, err
		}
		if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
			return false, fmt.Errorf("pod ended in phase %s: %s", p.Status.Phase, p.Status.Message)
		}
		return p.Status.Phase == corev1.PodRunning, nil
	})
	return p
}

// WaitPodGone waits until the pod no longer exists.
func WaitPodGone(t testing.TB, client kubernetes.Interface, ns, name string, interval, timeout time.Duration) {
	t.Helper()
	Poll(t, "pod "+ns+"/"+name+" gone", interval, timeout, func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
}

// DeletePod deletes a pod gracefully, as a user would, and waits until it is gone: kubelet
// (or the node agent standing in for it) stops the sandbox and unprepares the claims first.
func DeletePod(t testing.TB, client kubernetes.Interface, ns, name string, interval, timeout time.Duration) {
	t.Helper()
	err := client.CoreV1().Pods(ns).Delete(context.Background(), name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("deleting pod %s/%s: %v", ns, name, err)
	}
	WaitPodGone(t, client, ns, name, interval, timeout)
}

// PodResourceClaim returns the ResourceClaim a pod uses under claimName in its spec,
// resolving a template's generated claim through the pod's status.
func PodResourceClaim(t testing.TB, client kubernetes.Interface, p *corev1.Pod, claimName string) *resourceapi.ResourceClaim {
	t.Helper()
	name := ""
	for _, pc := range p.Spec.ResourceClaims {
		if pc.Name == claimName && pc.ResourceClaimName != nil {
			name = *pc.ResourceClaimName
		}
	}
	for _, st := range p.Status.ResourceClaimStatuses {
		if st.Name == claimName && st.ResourceClaimName != nil {
			name = *st.ResourceClaimName
		}
	}
	if name == "" {
		t.Fatalf("pod %s/%s has no claim %q (status: %+v)", p.Namespace, p.Name, claimName, p.Status.ResourceClaimStatuses)
	}
	claim, err := client.ResourceV1().ResourceClaims(p.Namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading claim %q of pod %s/%s: %v", name, p.Namespace, p.Name, err)
	}
	return claim
}
