package nodesuite

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// A rolling update of the plugin's DaemonSet (what `helm upgrade` with a changed value
// does) while a pod holds a NIC leaks nothing: the pod keeps its configured interface
// across the plugin's replacement, the new plugin serves a new pod, and when both pods are
// deleted every NIC is back on the host and the plugin remembers no claim.
func TestDaemonSetRollingUpdate_PodKeepsInterfaceNoLeak(t *testing.T) {
	n := realNode(t)
	before := testNICs(t)
	run := startNICPod(t, n, "holder", "exec sleep 3600")
	ds := pluginDaemonSet(t, n)
	old := waitPluginPod(t, n, ds, "the plugin pod on "+n.name, func(*corev1.Pod) bool { return true })
	logged := kubeletLogSize(t, n)

	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{"netclaim.dev/e2e-rollout": time.Now().UTC().Format(time.RFC3339Nano)},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.client.AppsV1().DaemonSets(ds.Namespace).Patch(context.Background(), ds.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("patching DaemonSet %s/%s: %v", ds.Namespace, ds.Name, err)
	}
	replaced := waitPluginPod(t, n, ds, "a new plugin pod after the rollout", func(p *corev1.Pod) bool { return p.UID != old.UID })
	t.Logf("plugin pod %s replaced by %s", old.Name, replaced.Name)
	waitSlices(t, n)
	waitRegistered(t, n, logged)

	want := e2eutil.Link{Name: podIfName, MTU: podMTU, MAC: podMAC, Up: true, Addrs: []string{podAddr}}
	if diff := cmp.Diff(want, e2eutil.MustReadLinks(t, run.netns)[podIfName]); diff != "" {
		t.Errorf("%s of the holding pod after the plugin's rolling update (-want +got):\n%s", podIfName, diff)
	}
	if _, ok := testNICs(t)[run.hostIf]; ok {
		t.Errorf("%s came back to the host while its pod still runs", run.hostIf)
	}
	// The new plugin took over the holder's claim from the checkpoint.
	if got := waitCheckpointClaims(t, n, 1); got[0].UID != string(run.claim.UID) {
		t.Errorf("checkpoint after the rollout holds claim %s/%s (%s), want the holder's %s", got[0].Namespace, got[0].Name, got[0].UID, run.claim.UID)
	}

	second := startNICPodIn(t, n, run.ns, "after-rollout", "exec sleep 3600")
	if diff := cmp.Diff(want, e2eutil.MustReadLinks(t, second.netns)[podIfName]); diff != "" {
		t.Errorf("%s of a pod started by the new plugin (-want +got):\n%s", podIfName, diff)
	}

	deletePod(t, n, run.ns, run.pod)
	deletePod(t, n, second.ns, second.pod)
	if diff := cmp.Diff(before, testNICs(t)); diff != "" {
		t.Errorf("test NICs on the host after both pods were deleted (-before +after):\n%s", diff)
	}
	waitCheckpointClaims(t, n, 0)
}

// waitCheckpointClaims waits until the plugin's checkpoint lists exactly want claims
// (kubelet unprepares a claim shortly after its pod is gone) and returns them.
func waitCheckpointClaims(t *testing.T, n *node, want int) []plan.Claim {
	t.Helper()
	path := filepath.Join(n.runDir, "netclaim", "checkpoint.json")
	var claims []plan.Claim
	poll(t, fmt.Sprintf("%d claims in the checkpoint %s", want, path), deleteTimeout, func(context.Context) (bool, error) {
		var err error
		claims, err = checkpoint.Inspect(path)
		return len(claims) == want, err
	})
	return claims
}
