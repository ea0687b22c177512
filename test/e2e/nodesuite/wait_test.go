package nodesuite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Timeouts are generous bounds for a loaded 2-core machine, not expectations: a pod on the
// real node runs in about a second.
const (
	pollInterval   = 100 * time.Millisecond
	podTimeout     = 2 * time.Minute
	deleteTimeout  = 2 * time.Minute
	restartTimeout = 3 * time.Minute
)

// poll retries cond until it returns true, failing the test with what it waited for.
func poll(t *testing.T, what string, timeout time.Duration, cond wait.ConditionWithContextFunc) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), pollInterval, timeout, true, cond); err != nil {
		t.Fatalf("waiting for %s (up to %s): %v", what, timeout, err)
	}
}

// newNamespace creates a namespace for one test and deletes it at cleanup, after its pods
// are gone (kubelet ran StopPodSandbox and unprepared their claims) and its claims are
// gone (deallocated), so the next test finds every NIC free.
func newNamespace(t *testing.T, n *node) string {
	t.Helper()
	ctx := context.Background()
	prefix := strings.ToLower(strings.TrimPrefix(t.Name(), "Test"))
	prefix = strings.NewReplacer("_", "-", "/", "-").Replace(prefix)
	if len(prefix) > 40 {
		prefix = prefix[:40]
	}
	ns, err := n.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: strings.Trim(prefix, "-") + "-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	t.Cleanup(func() {
		pods := n.client.CoreV1().Pods(ns.Name)
		if err := pods.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
			t.Errorf("deleting the pods of %s: %v", ns.Name, err)
		}
		poll(t, "the pods of "+ns.Name+" gone", deleteTimeout, func(ctx context.Context) (bool, error) {
			l, err := pods.List(ctx, metav1.ListOptions{})
			return err == nil && len(l.Items) == 0, err
		})
		claims := n.client.ResourceV1().ResourceClaims(ns.Name)
		poll(t, "the claims of "+ns.Name+" gone", deleteTimeout, func(ctx context.Context) (bool, error) {
			l, err := claims.List(ctx, metav1.ListOptions{})
			return err == nil && len(l.Items) == 0, err
		})
		if err := n.client.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting namespace %s: %v", ns.Name, err)
		}
	})
	return ns.Name
}

func createClass(t *testing.T, n *node, class *resourceapi.DeviceClass) {
	t.Helper()
	if _, err := n.client.ResourceV1().DeviceClasses().Create(context.Background(), class, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating DeviceClass %s: %v", class.Name, err)
	}
	t.Cleanup(func() {
		err := n.client.ResourceV1().DeviceClasses().Delete(context.Background(), class.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting DeviceClass %s: %v", class.Name, err)
		}
	})
}

func createTemplate(t *testing.T, n *node, tmpl *resourceapi.ResourceClaimTemplate) {
	t.Helper()
	if _, err := n.client.ResourceV1().ResourceClaimTemplates(tmpl.Namespace).Create(context.Background(), tmpl, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating ResourceClaimTemplate %s/%s: %v", tmpl.Namespace, tmpl.Name, err)
	}
}

func createPod(t *testing.T, n *node, p *corev1.Pod) {
	t.Helper()
	if _, err := n.client.CoreV1().Pods(p.Namespace).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating pod %s/%s: %v", p.Namespace, p.Name, err)
	}
}

// waitPodRunning waits until the pod runs and returns it; a pod that ended fails early.
func waitPodRunning(t *testing.T, n *node, ns, name string) *corev1.Pod {
	t.Helper()
	var p *corev1.Pod
	poll(t, "pod "+ns+"/"+name+" Running", podTimeout, func(ctx context.Context) (bool, error) {
		var err error
		if p, err = n.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			return false, err
		}
		if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
			return false, fmt.Errorf("pod ended in phase %s: %s", p.Status.Phase, p.Status.Message)
		}
		return p.Status.Phase == corev1.PodRunning, nil
	})
	return p
}

// deletePod deletes a pod as a user would and waits until kubelet removed it.
func deletePod(t *testing.T, n *node, ns, name string) {
	t.Helper()
	if err := n.client.CoreV1().Pods(ns).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("deleting pod %s/%s: %v", ns, name, err)
	}
	poll(t, "pod "+ns+"/"+name+" gone", deleteTimeout, func(ctx context.Context) (bool, error) {
		_, err := n.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
}

// podClaim returns the claim generated for the pod's claim "net".
func podClaim(t *testing.T, n *node, p *corev1.Pod) *resourceapi.ResourceClaim {
	t.Helper()
	for _, st := range p.Status.ResourceClaimStatuses {
		if st.Name == "net" && st.ResourceClaimName != nil {
			c, err := n.client.ResourceV1().ResourceClaims(p.Namespace).Get(context.Background(), *st.ResourceClaimName, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("reading claim %s of pod %s/%s: %v", *st.ResourceClaimName, p.Namespace, p.Name, err)
			}
			return c
		}
	}
	t.Fatalf("pod %s/%s has no generated claim for \"net\" (status: %+v)", p.Namespace, p.Name, p.Status.ResourceClaimStatuses)
	return nil
}

// waitNetworkData waits until netclaim wrote the claim's status.devices entry (after
// attach) and returns the claim.
func waitNetworkData(t *testing.T, n *node, ns, name string) *resourceapi.ResourceClaim {
	t.Helper()
	var c *resourceapi.ResourceClaim
	poll(t, "status.devices of claim "+ns+"/"+name, podTimeout, func(ctx context.Context) (bool, error) {
		var err error
		if c, err = n.client.ResourceV1().ResourceClaims(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			return false, err
		}
		for _, d := range c.Status.Devices {
			if d.Driver == driverName && d.NetworkData != nil {
				return true, nil
			}
		}
		return false, nil
	})
	return c
}

// waitLogLine waits until the container's log (read through the API server from the
// kubelet, as kubectl logs does) contains marker, and returns the whole log.
func waitLogLine(t *testing.T, n *node, ns, pod, marker string) string {
	t.Helper()
	var out string
	poll(t, fmt.Sprintf("%q in the log of %s/%s", marker, ns, pod), podTimeout, func(ctx context.Context) (bool, error) {
		raw, err := n.client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: "app"}).DoRaw(ctx)
		if err != nil {
			return false, nil // the container may not have started yet
		}
		out = string(raw)
		return strings.Contains(out, marker), nil
	})
	return out
}
