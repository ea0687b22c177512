package suite

import (
	"context"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// describeNamespace logs what a failed test left in its namespace: pods with their node,
// phase and conditions; claims with their allocation and device status; events. The node
// logs (plugin, agent) are printed by scripts/e2e.sh.
func describeNamespace(t *testing.T, c *cluster, ns string) {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	fmt.Fprintf(&b, "---- namespace %s after the failure\n", ns)
	if pods, err := c.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err != nil {
		fmt.Fprintf(&b, "listing pods: %v\n", err)
	} else {
		for _, p := range pods.Items {
			fmt.Fprintf(&b, "pod %s: node=%q phase=%s uid=%s netns=%s\n", p.Name, p.Spec.NodeName, p.Status.Phase, p.UID, podNetnsPath(&p))
			for _, cond := range p.Status.Conditions {
				fmt.Fprintf(&b, "  %s=%s %s %s\n", cond.Type, cond.Status, cond.Reason, cond.Message)
			}
		}
	}
	if claims, err := c.client.ResourceV1().ResourceClaims(ns).List(ctx, metav1.ListOptions{}); err != nil {
		fmt.Fprintf(&b, "listing claims: %v\n", err)
	} else {
		for _, cl := range claims.Items {
			fmt.Fprintf(&b, "claim %s: reservedFor=%d\n", cl.Name, len(cl.Status.ReservedFor))
			if a := cl.Status.Allocation; a != nil {
				for _, r := range a.Devices.Results {
					fmt.Fprintf(&b, "  allocated %s: %s/%s/%s\n", r.Request, r.Driver, r.Pool, r.Device)
				}
			}
			for _, d := range cl.Status.Devices {
				fmt.Fprintf(&b, "  status %s/%s: conditions=%v networkData=%+v\n", d.Pool, d.Device, d.Conditions, d.NetworkData)
			}
		}
	}
	if events, err := c.client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{}); err != nil {
		fmt.Fprintf(&b, "listing events: %v\n", err)
	} else {
		for _, e := range events.Items {
			fmt.Fprintf(&b, "event %s %s/%s %s: %s\n", e.Type, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
		}
	}
	t.Log(b.String())
}
