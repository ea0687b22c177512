package nodesuite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// pluginDaemonSet returns the netclaim DaemonSet the chart installed.
func pluginDaemonSet(t *testing.T, n *node) *appsv1.DaemonSet {
	t.Helper()
	list, err := n.client.AppsV1().DaemonSets("").List(context.Background(), metav1.ListOptions{LabelSelector: n.pluginSelector})
	if err != nil {
		t.Fatalf("listing DaemonSets %s: %v", n.pluginSelector, err)
	}
	if len(list.Items) != 1 {
		t.Fatalf("want one netclaim DaemonSet (label %s), found %d", n.pluginSelector, len(list.Items))
	}
	return &list.Items[0]
}

// pluginPod returns the running, ready plugin pod on the real node, or nil.
func pluginPod(ctx context.Context, n *node, ds *appsv1.DaemonSet) (*corev1.Pod, error) {
	sel := metav1.FormatLabelSelector(ds.Spec.Selector)
	pods, err := n.client.CoreV1().Pods(ds.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel, FieldSelector: "spec.nodeName=" + n.name})
	if err != nil {
		return nil, err
	}
	for i, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && ready(&p) {
			return &pods.Items[i], nil
		}
	}
	return nil, nil
}

func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.ContainerStatuses {
		if !c.Ready {
			return false
		}
	}
	return len(p.Status.ContainerStatuses) > 0
}

// waitPluginPod waits for a running, ready plugin pod on the node that accept approves.
func waitPluginPod(t *testing.T, n *node, ds *appsv1.DaemonSet, what string, accept func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var p *corev1.Pod
	poll(t, what, restartTimeout, func(ctx context.Context) (bool, error) {
		var err error
		p, err = pluginPod(ctx, n, ds)
		return err == nil && p != nil && accept(p), err
	})
	return p
}

// waitSlices waits until the node's ResourceSlices publish at least one test NIC.
func waitSlices(t *testing.T, n *node) {
	t.Helper()
	poll(t, "ResourceSlices of "+n.name+" with the test NICs", restartTimeout, func(ctx context.Context) (bool, error) {
		list, err := n.client.ResourceV1().ResourceSlices().List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + n.name})
		if err != nil {
			return false, err
		}
		for _, s := range list.Items {
			for _, d := range s.Spec.Devices {
				if v := d.Attributes["ifName"].StringValue; s.Spec.Driver == driverName && v != nil && strings.HasPrefix(*v, nicPrefix) {
					return true, nil
				}
			}
		}
		return false, nil
	})
}

// pluginPID finds the host pid of the plugin process in the given plugin pod's container,
// through the container's cgroup (see podNetnsPath).
func pluginPID(t *testing.T, p *corev1.Pod) int {
	t.Helper()
	_, id, _ := strings.Cut(p.Status.ContainerStatuses[0].ContainerID, "://")
	var pid int
	root := filepath.Join("/sys/fs/cgroup/pids", cgroupRoot)
	matches, _ := filepath.Glob(filepath.Join(root, "kubepods", "*", "pod"+string(p.UID), id, "cgroup.procs"))
	more, _ := filepath.Glob(filepath.Join(root, "kubepods", "pod"+string(p.UID), id, "cgroup.procs"))
	for _, f := range append(matches, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("reading %s: %v", f, err)
		}
		first, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
		if pid, err = strconv.Atoi(first); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatalf("no process of plugin container %s (pod %s/%s) under %s", id, p.Namespace, p.Name, root)
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil || filepath.Base(exe) != "netclaim-plugin" {
		t.Fatalf("pid %d of pod %s/%s is not netclaim-plugin (exe %q, %v)", pid, p.Namespace, p.Name, exe, err)
	}
	return pid
}

// killPlugin sends SIGKILL to the plugin process: a crash, no cleanup, stale sockets.
func killPlugin(t *testing.T, p *corev1.Pod) {
	t.Helper()
	pid := pluginPID(t, p)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing plugin pid %d: %v", pid, err)
	}
	t.Logf("killed the plugin of pod %s/%s (pid %d) with SIGKILL", p.Namespace, p.Name, pid)
}

func restarts(p *corev1.Pod) int32 {
	var n int32
	for _, c := range p.Status.ContainerStatuses {
		n += c.RestartCount
	}
	return n
}
