package nodeagent

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/types"
)

func TestPodNetnsName(t *testing.T) {
	tests := []struct {
		prefix string
		uid    types.UID
		want   string
	}{
		{prefix: "nc-pod-", uid: "1b4e28ba-2fa1-11d2-883f-0016d3cca427", want: "nc-pod-1b4e28ba-2fa1"},
		{prefix: "e2e-", uid: "1b4e28ba-2fa1-11d2-883f-0016d3cca427", want: "e2e-1b4e28ba-2fa1"},
		{prefix: "nc-pod-", uid: "short", want: "nc-pod-short"},
	}
	for _, tt := range tests {
		if got := podNetnsName(tt.prefix, tt.uid); got != tt.want {
			t.Errorf("podNetnsName(%q, %q) = %q, want %q", tt.prefix, tt.uid, got, tt.want)
		}
	}
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("creating network namespaces needs root")
	}
}

var netnsSeq atomic.Int32

// testNetnsName is unique per test and per process, so parallel runs never meet.
func testNetnsName(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("nc-agent-test-%d-%d", os.Getpid(), netnsSeq.Add(1))
}

func TestCreatePodNetns_GivesAFreshNamespaceWithLoopbackUp(t *testing.T) {
	requireRoot(t)
	name := testNetnsName(t)
	path, err := createPodNetns(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = deletePodNetns(name) })
	if path != "/var/run/netns/"+name {
		t.Errorf("path = %q, want /var/run/netns/%s", path, name)
	}

	ns, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
		if l.Attrs().Name == "lo" && l.Attrs().Flags&unix.IFF_UP == 0 {
			t.Errorf("lo is down in the pod namespace")
		}
	}
	if diff := cmp.Diff([]string{"lo"}, names); diff != "" {
		t.Errorf("links in the new namespace (-want +got):\n%s", diff)
	}
	own, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if own.Equal(ns) {
		t.Errorf("the pod namespace is the test's own namespace")
	}
}

func TestDeletePodNetns_RemovesItAndToleratesRepeats(t *testing.T) {
	requireRoot(t)
	name := testNetnsName(t)
	path, err := createPodNetns(name)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := deletePodNetns(name); err != nil {
			t.Fatalf("delete #%d: %v", i+1, err)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat %s after delete: %v, want not exist", path, err)
	}
}

func TestDeletePodNetns_RemovesAnUnmountedLeftoverFile(t *testing.T) {
	requireRoot(t)
	name := testNetnsName(t)
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(netnsPath(name), nil, 0o444); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(netnsPath(name)) })
	if err := deletePodNetns(name); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(netnsPath(name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat after delete: %v, want not exist", err)
	}
}

func TestCreatePodNetns_LeavesAnExistingNamespaceAlone(t *testing.T) {
	requireRoot(t)
	name := testNetnsName(t)
	path, err := createPodNetns(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = deletePodNetns(name) })
	if _, err := createPodNetns(name); !errors.Is(err, os.ErrExist) {
		t.Fatalf("second create: %v, want an error wrapping os.ErrExist", err)
	}
	ns, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatalf("the first namespace is gone after a failed second create: %v", err)
	}
	ns.Close()
}
