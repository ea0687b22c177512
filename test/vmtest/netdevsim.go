package vmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The netdevsim bus: writing "ID PORTS" to new_device creates device
// netdevsim<ID> with PORTS port netdevs; writing "ID" to del_device removes
// it with its ports and VFs.
const (
	netdevsimBusDir     = "/sys/bus/netdevsim"
	netdevsimDevicesDir = netdevsimBusDir + "/devices"
)

// Netdevsim creates netdevsim device id with one port and numVFs VFs and
// returns it as a PF whose IfName is the port's netdev. Its VFs exist only
// as the PF's VF list in netlink (legacy mode: no VF netdevs), which is what
// VF configuration through the PF (MAC, VLAN, trust, rate...) needs. The
// device is deleted in a cleanup.
//
// id must be unique among the netdevsim devices alive at the same time; tests
// of one package run one after the other, so a constant per test is enough.
func Netdevsim(t testing.TB, id, numVFs int) PF {
	t.Helper()
	InVM(t)
	RequireModule(t, "netdevsim")
	dir := filepath.Join(netdevsimDevicesDir, fmt.Sprintf("netdevsim%d", id))
	writeSysfs(t, filepath.Join(netdevsimBusDir, "new_device"), fmt.Sprintf("%d 1", id))
	t.Cleanup(func() {
		if err := os.WriteFile(filepath.Join(netdevsimBusDir, "del_device"), []byte(fmt.Sprint(id)), 0); err != nil {
			t.Errorf("cleanup: deleting netdevsim device %d: %v", id, err)
		}
	})
	var ifName string
	waitFor(t, fmt.Sprintf("netdevsim device %d to register its port netdev", id), func() error {
		var err error
		ifName, err = onlyNetdev(dir)
		return err
	})
	if numVFs > 0 {
		setNumVFs(t, dir, numVFs)
	}
	return PF{IfName: ifName, SysfsDir: dir}
}
