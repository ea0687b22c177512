package plan

// VFIO is a device handed to the pod through vfio-pci, for userspace drivers (DPDK).
// The device has no netdev: the pod gets its IOMMU group's character device (through
// the claim's CDI spec) and opens the device by PCI address.
type VFIO struct {
	// GroupDevice is the group's character device on the host and in the containers:
	// /dev/vfio/<group>, or /dev/vfio/noiommu-<group> in the kernel's unsafe no-IOMMU mode.
	GroupDevice string `json:"groupDevice"`
	// Rebind is set when prepare moved the device to vfio-pci from the binding recorded
	// here; unprepare restores it. It is persisted before the first sysfs write, so a
	// plugin that dies half-way still knows what to go back to. Nil when the device was
	// on vfio-pci already: there is nothing to restore.
	Rebind *Binding `json:"rebind,omitempty"`
	// Netdev is the device's netdev on the host before prepare rebound it, nil when it
	// had none. Unbinding the driver destroys the netdev and binding it back creates a
	// new one (the kernel's next free name, a new MAC, the default MTU, down), so
	// unprepare gives that one this name, MTU, MAC and up state. It is recorded in the
	// same checkpoint write as Rebind, and stays until unprepare has restored it.
	Netdev *Original `json:"netdev,omitempty"`
	// VF is the PF's entry for the VF before prepare made the Device's VFPlan settings
	// (exactly the fields the VFPlan sets), nil when it has none. It is recorded in the
	// same checkpoint write as Rebind, before any setting is made, so that a repeated
	// prepare never records netclaim's own settings as the original; unprepare restores it.
	VF *VFOriginal `json:"vf,omitempty"`
}

// Binding is a PCI device's driver binding in sysfs.
type Binding struct {
	// Driver is the bound driver ("" for none).
	Driver string `json:"driver,omitempty"`
	// DriverOverride is the device's driver_override ("" for none).
	DriverOverride string `json:"driverOverride,omitempty"`
}

// RDMA is what the containers get besides a netdev with RDMA capability.
type RDMA struct {
	// Devices are the RDMA device names (mlx5_0), for the containers' environment.
	Devices []string `json:"devices"`
	// DeviceNodes are character devices under /dev/infiniband: the verbs devices of the
	// netdev (uverbsN) and the RDMA connection manager (rdma_cm) when the host has it.
	DeviceNodes []string `json:"deviceNodes"`
}

// UsesNetdev says whether the device reaches the pod as a netdev, which attach moves
// into the pod's network namespace and detach brings back. A vfio-pci device does not.
func (d Device) UsesNetdev() bool { return d.VFIO == nil }
