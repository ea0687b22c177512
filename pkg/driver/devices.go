package driver

import (
	"errors"
	"fmt"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/pkg/inventory"
)

// pendingDevice is one allocated device with its merged, validated configuration.
type pendingDevice struct {
	result resourceapi.DeviceRequestAllocationResult
	host   inventory.Device
	config *v1alpha1.NetworkConfig
	// ifName is the interface name in the pod, set by assignInterfaceNames.
	ifName string
	// vfio is set for a device the pod gets through vfio-pci, without a netdev.
	vfio *vfioDevice
}

// resolveDevices checks every allocated device against the inventory and its merged
// configuration. All problems of the claim are reported at once, so a user fixes them in
// one round instead of one per kubelet retry.
func (d *Driver) resolveDevices(claim *resourceapi.ResourceClaim, allocated []resourceapi.DeviceRequestAllocationResult,
	configs []requestConfig, owners deviceOwners) ([]pendingDevice, error) {
	devices := make([]pendingDevice, 0, len(allocated))
	var errs []error
	for _, r := range allocated {
		dev, err := d.resolveDevice(claim, r, configs, owners)
		if err != nil {
			errs = append(errs, fmt.Errorf("device %s (request %s): %w", r.Device, r.Request, err))
			continue
		}
		devices = append(devices, dev)
	}
	return devices, errors.Join(errs...)
}

func (d *Driver) resolveDevice(claim *resourceapi.ResourceClaim, r resourceapi.DeviceRequestAllocationResult,
	configs []requestConfig, owners deviceOwners) (pendingDevice, error) {
	host, ok := d.cfg.Devices(r.Device)
	if !ok {
		return pendingDevice{}, fmt.Errorf("allocated to claim %s/%s but no longer present on node %s: the device went away between allocation and prepare "+
			"(hot unplug, driver rebind, SR-IOV VF count change); delete the pod so that its claim is allocated again",
			claim.Namespace, claim.Name, d.cfg.NodeName)
	}
	if owner, taken := owners.owner(r.Pool, r.Device); taken {
		return pendingDevice{}, fmt.Errorf("already prepared for claim %s on this node; one netdev can only be in one pod", owner)
	}
	cfg := v1alpha1.Merge(configsFor(configs, r.Request)...)
	// Every rule that needs no device is the API's, shared with `netclaimctl validate`;
	// what follows needs the device: its kind, its PF, its driver.
	vc := v1alpha1.ValidationContext{ParentMTU: parentMTU(host), OnVFIO: host.Driver == vfioPCI}
	if errs := cfg.Validate(vc); len(errs) > 0 {
		return pendingDevice{}, fieldErrors(errs)
	}
	if err := checkVFSettings(host, cfg); err != nil {
		return pendingDevice{}, err
	}
	if vfio, err := d.decideVFIO(host, cfg); err != nil || vfio != nil {
		return pendingDevice{result: r, host: host, config: cfg, vfio: vfio}, err
	}
	if err := requireNetdev(host, cfg); err != nil {
		return pendingDevice{}, err
	}
	if err := checkModeSuitsDevice(host, cfg); err != nil {
		return pendingDevice{}, err
	}
	return pendingDevice{result: r, host: host, config: cfg}, nil
}

// fieldErrors keeps each validation error separate (each names its field).
func fieldErrors(list field.ErrorList) error {
	errs := make([]error, len(list))
	for i, e := range list {
		errs[i] = fmt.Errorf("config %w", e)
	}
	return errors.Join(errs...)
}

// requireNetdev refuses a device without a network interface: a VF bound to vfio-pci
// (for DPDK) has no netdev to move into the pod or to stack a sub-interface on.
func requireNetdev(host inventory.Device, cfg *v1alpha1.NetworkConfig) error {
	if host.IfName != "" {
		return nil
	}
	return fmt.Errorf("interface.mode %s needs a network interface, but %s %s is bound to driver %q and has none; "+
		"bind the device to its kernel network driver (or, for DPDK, set sriov.driver: vfio-pci on a VF), "+
		"or select devices with an ifName attribute in the DeviceClass",
		interfaceMode(cfg), host.Kind, host.PCIAddress, host.Driver)
}
