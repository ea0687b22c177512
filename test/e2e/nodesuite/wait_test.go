package nodesuite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/netclaim/netclaim/test/e2e/e2eutil"
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
	e2eutil.Poll(t, what, pollInterval, timeout, cond)
}

// newNamespace creates a namespace for one test and frees it at cleanup: its pods gone
// (kubelet ran StopPodSandbox and unprepared their claims) and its claims gone
// (deallocated), so the next test finds every NIC free.
func newNamespace(t *testing.T, n *node) string {
	t.Helper()
	name := e2eutil.CreateTestNamespace(t, n.client)
	t.Cleanup(func() { e2eutil.FreeNamespace(t, n.client, name, pollInterval, deleteTimeout) })
	return name
}

// waitPodRunning waits until the pod runs and returns it; a pod that ended fails early.
func waitPodRunning(t *testing.T, n *node, ns, name string) *corev1.Pod {
	t.Helper()
	return e2eutil.WaitPodRunning(t, n.client, ns, name, pollInterval, podTimeout)
}

// deletePod deletes a pod as a user would and waits until kubelet removed it.
func deletePod(t *testing.T, n *node, ns, name string) {
	t.Helper()
	e2eutil.DeletePod(t, n.client, ns, name, pollInterval, deleteTimeout)
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
