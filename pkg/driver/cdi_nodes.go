package driver

import (
	"strings"

	cdispec "tags.cncf.io/container-device-interface/specs-go"

	"github.com/netclaim/netclaim/pkg/plan"
)

// vfioContainerDevice is vfio's container device: every process that opens a group
// needs it too.
const vfioContainerDevice = "/dev/vfio/vfio"

// deviceNodes are the character devices the containers get with a device: for a vfio-pci
// device vfio's container device and its IOMMU group's, for an RDMA-capable netdev its
// verbs devices and rdma_cm. The runtime reads their type and numbers from the host's
// nodes when it creates the container.
func deviceNodes(dev plan.Device) []*cdispec.DeviceNode {
	var paths []string
	if dev.VFIO != nil {
		paths = append(paths, vfioContainerDevice, dev.VFIO.GroupDevice)
	}
	if dev.RDMA != nil {
		paths = append(paths, dev.RDMA.DeviceNodes...)
	}
	nodes := make([]*cdispec.DeviceNode, len(paths))
	for i, p := range paths {
		nodes[i] = &cdispec.DeviceNode{Path: p}
	}
	return nodes
}

// deviceNodeEnv tells the containers which device nodes are theirs:
// <prefix>_VFIO_GROUP=/dev/vfio/<group> for a vfio-pci device (DPDK finds the device by
// PCI address, but a pod with several needs to know which group is which), and
// <prefix>_RDMA_DEVICES=mlx5_2[,...] for an RDMA-capable netdev (ibv_open_device by name).
func deviceNodeEnv(prefix string, dev plan.Device) []string {
	var env []string
	if dev.VFIO != nil {
		env = append(env, prefix+"_VFIO_GROUP="+dev.VFIO.GroupDevice)
	}
	if dev.RDMA != nil && len(dev.RDMA.Devices) > 0 {
		env = append(env, prefix+"_RDMA_DEVICES="+strings.Join(dev.RDMA.Devices, ","))
	}
	return env
}
