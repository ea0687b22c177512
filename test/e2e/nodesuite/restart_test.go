package nodesuite

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// After the plugin dies — its process SIGKILLed (the container restarts, stale sockets
// left behind) or its pod force-deleted (the DaemonSet makes a new one) — kubelet
// registers the new plugin again (its DRA plugin manager logs the connection), its
// ResourceSlices are there, and a new pod with a claim gets its NIC, which needs
// kubelet's NodePrepareResources call to reach the new plugin.
// Deleting that pod restores the NIC.
func TestPluginKilled_KubeletReRegistersPlugin(t *testing.T) {
	n := realNode(t)
	for _, tc := range []struct {
		name string
		kill func(t *testing.T, p *corev1.Pod)
		// back reports whether p is the plugin pod that replaced old.
		back func(old, p *corev1.Pod) bool
	}{{
		name: "process SIGKILLed",
		kill: killPlugin,
		back: func(old, p *corev1.Pod) bool { return p.UID == old.UID && restarts(p) > restarts(old) },
	}, {
		name: "pod deleted with grace period 0",
		kill: func(t *testing.T, p *corev1.Pod) {
			err := n.client.CoreV1().Pods(p.Namespace).Delete(context.Background(), p.Name, metav1.DeleteOptions{GracePeriodSeconds: e2eutil.PtrTo[int64](0)})
			if err != nil {
				t.Fatalf("deleting plugin pod %s/%s: %v", p.Namespace, p.Name, err)
			}
		},
		back: func(old, p *corev1.Pod) bool { return p.UID != old.UID },
	}} {
		t.Run(tc.name, func(t *testing.T) {
			before := testNICs(t)
			ds := pluginDaemonSet(t, n)
			old := waitPluginPod(t, n, ds, "the plugin pod on "+n.name, func(*corev1.Pod) bool { return true })

			start, logged := time.Now(), kubeletLogSize(t, n)
			tc.kill(t, old)
			waitPluginPod(t, n, ds, "the plugin back ("+tc.name+")", func(p *corev1.Pod) bool { return tc.back(old, p) })
			t.Logf("plugin pod running and ready again after %s", time.Since(start).Round(time.Millisecond))
			waitSlices(t, n)
			t.Logf("ResourceSlices published after %s", time.Since(start).Round(time.Millisecond))
			waitRegistered(t, n, logged)
			t.Logf("kubelet registered the plugin again after %s", time.Since(start).Round(time.Millisecond))

			run := startNICPod(t, n, "after-restart", "exec sleep 3600")
			t.Logf("a new pod with a claim runs with its NIC after %s", time.Since(start).Round(time.Millisecond))
			waitCheckpointClaims(t, n, 1)
			want := e2eutil.Link{Name: podIfName, MTU: podMTU, MAC: podMAC, Up: true, Addrs: []string{podAddr}}
			if diff := cmp.Diff(want, e2eutil.MustReadLinks(t, run.netns)[podIfName]); diff != "" {
				t.Errorf("%s of a pod started after the plugin came back (-want +got):\n%s", podIfName, diff)
			}
			deletePod(t, n, run.ns, run.pod)
			if diff := cmp.Diff(before, testNICs(t)); diff != "" {
				t.Errorf("test NICs on the host after the pod was deleted (-before +after):\n%s", diff)
			}
			waitCheckpointClaims(t, n, 0)
		})
	}
}
