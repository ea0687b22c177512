package driver

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

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
	if err := rejectNetdevConfig(cfg); err != nil {
		return nil, err
	}
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

// vfioConfigFields are the config fields that make sense for a vfio-pci device; every
// other one configures a netdev, which such a device does not have. Listing what is
// allowed, rather than what is not, keeps a field added later from being ignored.
// Besides sriov.driver they are the PF's settings for the VF (vfioVFSettingFields).
var vfioConfigFields = append([]string{"sriov.driver"}, vfioVFSettingFields...)

// rejectNetdevConfig names every field the merged config sets that needs a netdev.
func rejectNetdevConfig(cfg *v1alpha1.NetworkConfig) error {
	set, err := setFields(cfg)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range set {
		if slices.Contains(vfioConfigFields, f) {
			continue
		}
		if f == "interface.mode" && cfg.Interface.Mode == v1alpha1.ModePassthrough {
			continue
		}
		errs = append(errs, fmt.Errorf("config field %s needs a network interface, but the device goes to the pod through vfio-pci "+
			"and has none: remove the field from the DeviceClass or ResourceClaim config, or select a device without sriov.driver: vfio-pci", f))
	}
	return errors.Join(errs...)
}

// setFields lists the dotted paths of the fields cfg sets, as its JSON form shows them
// (objects are descended into, lists are one field), in a stable order.
func setFields(cfg *v1alpha1.NetworkConfig) ([]string, error) {
	data, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding the merged config: %w", err)
	}
	var tree map[string]any
	if err := json.Unmarshal(data, &tree); err != nil {
		return nil, fmt.Errorf("decoding the merged config: %w", err)
	}
	delete(tree, "apiVersion")
	delete(tree, "kind")
	var out []string
	collectFields(tree, "", &out)
	slices.Sort(out)
	return out, nil
}

func collectFields(obj map[string]any, prefix string, out *[]string) {
	for k, v := range obj {
		if sub, ok := v.(map[string]any); ok {
			collectFields(sub, prefix+k+".", out)
			continue
		}
		*out = append(*out, prefix+k)
	}
}
