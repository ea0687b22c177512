package suite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// Timeouts are generous bounds for a loaded 2-core machine, not expectations: a pod on a
// simulated node runs within about a second.
const (
	pollInterval   = 250 * time.Millisecond
	podTimeout     = time.Minute
	eventTimeout   = time.Minute
	deleteTimeout  = time.Minute
	scaledTimeout  = 4 * time.Minute
	claimTimeout   = time.Minute
	restartTimeout = 2 * time.Minute
)

// poll retries cond until it returns true, failing the test with what it waited for when
// timeout passes or cond errs.
func poll(t *testing.T, what string, timeout time.Duration, cond wait.ConditionWithContextFunc) {
	t.Helper()
	e2eutil.Poll(t, what, pollInterval, timeout, cond)
}

// waitPodRunning waits until the pod is Running and returns it. A pod that failed, or an
// error other than "not found yet", ends the wait early.
func waitPodRunning(t *testing.T, c *cluster, ns, name string, timeout time.Duration) *corev1.Pod {
	t.Helper()
	return e2eutil.WaitPodRunning(t, c.client, ns, name, pollInterval, timeout)
}

func waitPodGone(t *testing.T, c *cluster, ns, name string) {
	t.Helper()
	e2eutil.WaitPodGone(t, c.client, ns, name, pollInterval, deleteTimeout)
}

// waitClaimStatus waits until netclaim reported every one of the claim's netclaim devices
// in status.devices (attach writes it after the interface is configured) and returns the
// claim.
func waitClaimStatus(t *testing.T, c *cluster, ns, name string) *resourceapi.ResourceClaim {
	t.Helper()
	var claim *resourceapi.ResourceClaim
	poll(t, "status.devices of claim "+ns+"/"+name, claimTimeout, func(ctx context.Context) (bool, error) {
		var err error
		claim, err = c.client.ResourceV1().ResourceClaims(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil || claim.Status.Allocation == nil {
			return false, err
		}
		want := 0
		for _, r := range claim.Status.Allocation.Devices.Results {
			if r.Driver == driverName {
				want++
			}
		}
		got := 0
		for _, d := range claim.Status.Devices {
			if d.Driver == driverName {
				got++
			}
		}
		return got == want, nil
	})
	return claim
}

// waitEvent waits for an event about the object with the given reason and returns its
// message.
func waitEvent(t *testing.T, c *cluster, ns, kind, name, reason string) string {
	t.Helper()
	selector := fields.Set{"involvedObject.kind": kind, "involvedObject.name": name, "reason": reason}.AsSelector().String()
	var msg string
	poll(t, fmt.Sprintf("a %s event on %s %s/%s", reason, kind, ns, name), eventTimeout, func(ctx context.Context) (bool, error) {
		events, err := c.client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: selector})
		if err != nil || len(events.Items) == 0 {
			return false, err
		}
		msg = events.Items[0].Message
		return true, nil
	})
	return msg
}

// requireContains fails unless s contains every one of want.
func requireContains(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s does not mention %q:\n%s", what, w, s)
		}
	}
}
