package driver

import (
	"fmt"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/pkg/inventory"
)

// vfioDevice marks a device handed to the pod through vfio-pci.
type vfioDevice struct {
	// rebind: prepare must move the device to vfio-pci from its current driver.
	rebind bool
}

// decideVFIO says whether the device goes to the pod through vfio-pci: because it is on
// vfio-pci already, or because sriov.driver asks for it. sriov.driver accepts vfio-pci
// and the device's current driver (which changes nothing); binding a VF to any other
// driver would hand the pod a device netclaim knows nothing about.
func (d *Driver) decideVFIO(host inventory.Device, cfg *v1alpha1.NetworkConfig) (*vfioDevice, error) {
	want := ""
	if cfg.SRIOV != nil {
		want = cfg.SRIOV.Driver
	}
	var v *vfioDevice
	switch {
	case host.Driver == vfioPCI && (want == "" || want == vfioPCI):
		v = &vfioDevice{}
	case want == "" || want == host.Driver:
		return nil, nil
	case want != vfioPCI:
		return nil, unsupportedDriver(host, want)
	case host.Kind != inventory.KindVF:
		return nil, fmt.Errorf("config sriov.driver %q applies to SR-IOV VFs, and %s is a %s: select VFs in the DeviceClass or omit sriov.driver",
			want, host.PCIAddress, host.Kind)
	default:
		v = &vfioDevice{rebind: true}
	}
	// Fields that need a netdev were refused before, with the config's other rules
	// (v1alpha1's Validate, told whether the device is on vfio-pci already).
	if err := checkVFIOVFSettings(host, cfg); err != nil {
		return nil, err
	}
	if err := d.pci.CheckVFIOReady(host.PCIAddress, v.rebind); err != nil {
		return nil, fmt.Errorf("cannot hand %s to the pod through vfio-pci: %w", host.PCIAddress, err)
	}
	return v, nil
}

func unsupportedDriver(host inventory.Device, want string) error {
	choices := "vfio-pci"
	if host.Driver != "" && host.Driver != vfioPCI {
		choices += " or " + host.Driver
	}
	return fmt.Errorf("config sriov.driver %q: netclaim binds devices only to vfio-pci (for DPDK) and back; %s %s is on %s: "+
		"set sriov.driver to %s, or omit it", want, host.Kind, host.PCIAddress, driverOrNone(host.Driver), choices)
}

func driverOrNone(driver string) string {
	if driver == "" {
		return "no driver"
	}
	return driver
}
