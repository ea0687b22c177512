package netdev

import (
	"context"
	"errors"
	"testing"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

// recreate replaces the device called name by a new one called as, as unbinding and
// binding a PCI driver does: another ifindex, the kernel's default MTU, a new MAC, down.
func recreate(tb *testbed, name, as string) {
	tb.T.Helper()
	tb.DeleteLink(tb.Node, name)
	tb.AddVethNIC(netnstest.NIC{Name: as, MAC: recreatedMAC, MTU: 1500})
}

// recreatedMAC is the recreated device's MAC. A veth has no PCI address, so the tests
// find it by this MAC where the plugin gives a VF's PCI address.
const recreatedMAC = "02:00:00:00:99:07"

func TestRestore_GivesARecreatedNetdevItsNameMTUMACAndUpState(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:11:01", MTU: 1400, Up: true}
	tb.AddVethNIC(nic)
	orig, err := tb.host.Snapshot(plan.HostLink{Name: nic.Name})
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	recreate(tb, nic.Name, "eth7")

	if err := tb.host.Restore(context.Background(), plan.HostLink{HardwareAddr: recreatedMAC}, orig); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	want := netnstest.LinkState{Name: nic.Name, MTU: nic.MTU, MAC: nic.MAC, Up: true}
	tb.RequireState(tb.Node, nic.Name, want)
	tb.RequireLinks(tb.Node, "node after Restore", "eth7p", "lo", "nic0")

	if err := tb.host.Restore(context.Background(), plan.HostLink{HardwareAddr: recreatedMAC}, orig); err != nil {
		t.Fatalf("second Restore: %v", err)
	}
	tb.RequireState(tb.Node, nic.Name, want)
}

func TestRestore_ReportsATakenNameAndStillRestoresMTUMACAndUpState(t *testing.T) {
	tb := newTestbed(t)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:11:01", MTU: 1400, Up: true}
	tb.AddVethNIC(nic)
	orig, err := tb.host.Snapshot(plan.HostLink{Name: nic.Name})
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	recreate(tb, nic.Name, "eth7")
	tb.AddVethNIC(netnstest.NIC{Name: nic.Name, MAC: "02:00:00:00:22:01"}) // took the name meanwhile

	err = tb.host.Restore(context.Background(), plan.HostLink{HardwareAddr: recreatedMAC}, orig)

	netnstest.RequireErrorContains(t, err, "renaming eth7", "back to nic0", "name nic0 is already taken", "rename or remove that device")
	tb.RequireState(tb.Node, "eth7", netnstest.LinkState{Name: "eth7", MTU: nic.MTU, MAC: nic.MAC, Up: true})
}

func TestRestore_ReportsADeviceThatIsNowhereAsGone(t *testing.T) {
	tb := newTestbed(t)
	orig := plan.Original{Name: "nic0", MTU: 1400, HardwareAddr: "02:00:00:00:11:01", Up: true}

	err := tb.host.Restore(context.Background(), plan.HostLink{PCIAddress: "0000:99:00.0"}, orig)

	if !errors.Is(err, ErrDeviceGone) {
		t.Fatalf("Restore of a device that is nowhere: err = %v, want ErrDeviceGone", err)
	}
}
