package driver

import (
	"os"
	"path/filepath"

	"github.com/netclaim/netclaim/pkg/plan"
)

// rdmaDeviceDir is where the kernel's RDMA character devices live.
const rdmaDeviceDir = "/dev/infiniband"

// rdmaAccess lists what a container needs to use a netdev's RDMA devices: their verbs
// devices (uverbsN, what libibverbs opens) and the RDMA connection manager (rdma_cm,
// librdmacm), which exists only while the rdma_ucm module is loaded. A device node the
// host lacks would make the runtime fail the container, so rdma_cm is only listed when
// sysfs shows it.
func (d *Driver) rdmaAccess(devices, verbs []string) *plan.RDMA {
	r := &plan.RDMA{Devices: append([]string(nil), devices...)}
	for _, v := range verbs {
		r.DeviceNodes = append(r.DeviceNodes, filepath.Join(rdmaDeviceDir, v))
	}
	if _, err := os.Stat(filepath.Join(d.sysfs, "class/misc/rdma_cm")); err == nil {
		r.DeviceNodes = append(r.DeviceNodes, filepath.Join(rdmaDeviceDir, "rdma_cm"))
	}
	return r
}
