package nodesuite

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"

	"github.com/netclaim/netclaim/pkg/nlwrap"
)

// link is an interface as the suite compares it: what attach changes and detach restores.
type link struct {
	Name  string
	MTU   int
	MAC   string
	Up    bool
	Addrs []string // global-scope addresses in CIDR form, sorted
}

// links reads every interface of the network namespace at path (the host's when path is
// empty) through a netlink handle bound to it; no thread switches namespace.
func links(path string) (map[string]link, error) {
	ns := netns.None()
	if path != "" {
		var err error
		if ns, err = netns.GetFromPath(path); err != nil {
			return nil, fmt.Errorf("opening network namespace %s: %w", path, err)
		}
		defer ns.Close()
	}
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink in %q: %w", path, err)
	}
	defer h.Close()
	list, err := nlwrap.RetryDump("links in "+path, h.LinkList)
	if err != nil {
		return nil, fmt.Errorf("listing links in %q: %w", path, err)
	}
	out := make(map[string]link, len(list))
	for _, l := range list {
		a := l.Attrs()
		addrs, err := nlwrap.RetryDump("addresses of "+a.Name, func() ([]netlink.Addr, error) { return h.AddrList(l, netlink.FAMILY_ALL) })
		if err != nil {
			return nil, fmt.Errorf("listing addresses of %s in %q: %w", a.Name, path, err)
		}
		var cidrs []string
		for _, addr := range addrs {
			if addr.Scope == unix.RT_SCOPE_UNIVERSE {
				cidrs = append(cidrs, addr.IPNet.String())
			}
		}
		slices.Sort(cidrs)
		out[a.Name] = link{Name: a.Name, MTU: a.MTU, MAC: a.HardwareAddr.String(), Up: a.Flags&net.FlagUp != 0, Addrs: cidrs}
	}
	return out, nil
}

func mustLinks(t *testing.T, path string) map[string]link {
	t.Helper()
	l, err := links(path)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testNICs returns the node's test NICs (ncn<i>) now in the host namespace.
func testNICs(t *testing.T) map[string]link {
	t.Helper()
	out := map[string]link{}
	for name, l := range mustLinks(t, "") {
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
