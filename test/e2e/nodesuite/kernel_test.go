package nodesuite

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// testNICs returns the node's test NICs (ncn<i>) now in the host namespace.
func testNICs(t *testing.T) map[string]e2eutil.Link {
	t.Helper()
	out := map[string]e2eutil.Link{}
	for name, l := range e2eutil.MustReadLinks(t, "") {
		if strings.HasPrefix(name, nicPrefix) {
			out[name] = l
		}
	}
	return out
}

// podNetnsPath finds the network namespace of a running pod from its container's
// process: kubelet (cgroupfs driver) puts the container in
// <controller>/<cgroupRoot>/kubepods/.../pod<uid>/<container id>, so the pids controller
// lists its processes, and /proc/<pid>/ns/net is the pod's namespace.
func podNetnsPath(t *testing.T, p *corev1.Pod) string {
	t.Helper()
	if len(p.Status.ContainerStatuses) == 0 || p.Status.ContainerStatuses[0].ContainerID == "" {
		t.Fatalf("pod %s/%s reports no container ID", p.Namespace, p.Name)
	}
	_, id, _ := strings.Cut(p.Status.ContainerStatuses[0].ContainerID, "://")
	root := filepath.Join("/sys/fs/cgroup/pids", cgroupRoot)
	var procs string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || d.Name() != id {
			return err
		}
		procs = filepath.Join(path, "cgroup.procs")
		return fs.SkipAll
	})
	if err != nil || procs == "" {
		t.Fatalf("no cgroup of container %s (pod %s/%s) under %s: %v", id, p.Namespace, p.Name, root, err)
	}
	data, err := os.ReadFile(procs)
	if err != nil {
		t.Fatalf("reading %s: %v", procs, err)
	}
	pid, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	if pid == "" {
		t.Fatalf("container %s of pod %s/%s has no process in %s", id, p.Namespace, p.Name, procs)
	}
	path := filepath.Join("/proc", pid, "ns/net")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Fatalf("process %s of pod %s/%s is gone", pid, p.Namespace, p.Name)
	}
	return path
}
