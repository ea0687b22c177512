// Package netdev moves a host network device into a pod's network namespace,
// configures it there (name, MTU, MAC, addresses, routes, up) and later puts it
// back on the host exactly as it was. In VLAN mode it creates a VLAN
// sub-interface of the device inside the pod instead, leaving the device on
// the host; either interface can join a VRF, and policy-routing rules go
// into the pod with it.
//
// For prepare, which rebinds a PCI device's driver (vfio-pci), it records
// and restores the netdev the rebind destroys (Snapshot, Restore) and makes
// and restores a VF's settings on its PF without a VF netdev
// (SnapshotVF, ApplyVFWithoutNetdev, RestoreVFWithoutNetdev).
//
// It takes pkg/plan values (the plan prepare made for a device, and the
// original state it records) and knows nothing of Kubernetes or of the rest
// of netclaim. Every operation is idempotent so that callers can simply
// repeat it after a crash, a retry or a duplicate runtime hook.
//
// All netlink traffic goes through sockets opened inside the namespace they
// address (netlink.NewHandleAt and nl.GetNetlinkSocketAt); no goroutine ever
// switches its thread's namespace here.
package netdev
