package netdev

import (
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

// OpenHost must address the process's own namespace. Read-only: it
// snapshots the loopback device and compares with what the process sees.
func TestOpenHost_SnapshotsTheProcessNetns(t *testing.T) {
	netnstest.RequireRoot(t)
	host, err := OpenHost()
	if err != nil {
		t.Fatalf("OpenHost: %v", err)
	}
	defer func() {
		if err := host.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	got, err := host.Snapshot(plan.HostLink{Name: "lo"})
	if err != nil {
		t.Fatalf("Snapshot(lo): %v", err)
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatalf("LinkByName(lo): %v", err)
	}
	want := plan.Original{
		Name: "lo", MTU: lo.Attrs().MTU,
		HardwareAddr: lo.Attrs().HardwareAddr.String(), Up: lo.Attrs().Flags&net.FlagUp != 0,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Snapshot(lo) (-want +got):\n%s", diff)
	}
}

func TestOpenHostAt_FailsForMissingNetns(t *testing.T) {
	_, err := OpenHostAt("/var/run/netns/nc-test-does-not-exist")
	netnstest.RequireErrorContains(t, err, "/var/run/netns/nc-test-does-not-exist", "no longer exists")
}
