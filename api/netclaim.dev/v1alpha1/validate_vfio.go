package v1alpha1

import (
	"reflect"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// DriverVFIOPCI is the sriov.driver that hands a VF to the pod for a userspace driver
// (DPDK) instead of as a netdev.
const DriverVFIOPCI = "vfio-pci"

// vfioFields are the fields that make sense for a device the pod gets through vfio-pci;
// every other one configures a netdev, which such a device does not have. Besides
// sriov.driver they are the settings a PF makes for its VF (hardware VLAN, administrative
// MAC, the sriov settings), which the PF enforces whatever driver the VF is on. Listing
// what is allowed, rather than what is not, keeps a field added later from being ignored.
var vfioFields = []string{
	"sriov.driver", "interface.mac", "vlan.id", "vlan.qos", "vlan.protocol",
	"sriov.spoofCheck", "sriov.trust", "sriov.minTxRateMbps", "sriov.maxTxRateMbps", "sriov.linkState",
}

// WantsVFIO says whether the config asks for the device to go to the pod through
// vfio-pci, without a netdev (sriov.driver: vfio-pci). A device bound to vfio-pci already
// goes that way too, which only the driver knows (ValidationContext.OnVFIO).
func (c *NetworkConfig) WantsVFIO() bool {
	return c.SRIOV != nil && c.SRIOV.Driver == DriverVFIOPCI
}

// validateWithoutNetdev refuses every field that needs a netdev for a device the pod
// gets through vfio-pci. interface.mode passthrough is what vfio-pci does anyway.
func (c *NetworkConfig) validateWithoutNetdev(onVFIO bool) field.ErrorList {
	if !onVFIO && !c.WantsVFIO() {
		return nil
	}
	var errs field.ErrorList
	for _, f := range c.setFields() {
		if slices.Contains(vfioFields, f) || f == "interface.mode" && c.Interface.Mode == ModePassthrough {
			continue
		}
		errs = append(errs, field.Forbidden(dottedPath(f), "needs a network interface, and a device the pod gets through vfio-pci "+
			"(sriov.driver: vfio-pci, or bound to vfio-pci already) has none: remove the field from the DeviceClass or ResourceClaim config, "+
			"or omit sriov.driver and select a device that is not on vfio-pci"))
	}
	return errs
}

// setFields lists the dotted paths of the fields c sets, as its JSON form shows them
// (objects are descended into, a list is one field), in a stable order.
func (c *NetworkConfig) setFields() []string {
	var out []string
	collectSetFields(reflect.ValueOf(c).Elem(), "", &out)
	slices.Sort(out)
	return out
}

// collectSetFields walks a struct by its JSON tags. Every field of NetworkConfig is
// omitempty, so a zero value (nil pointer, empty string or list) is one JSON omits.
// Embedded TypeMeta (apiVersion, kind) says nothing about the device and is skipped.
func collectSetFields(v reflect.Value, prefix string, out *[]string) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous || name == "" || name == "-" {
			continue
		}
		fv := v.Field(i)
		if fv.IsZero() || (fv.Kind() == reflect.Slice && fv.Len() == 0) {
			continue
		}
		if fv.Kind() == reflect.Pointer && fv.Elem().Kind() == reflect.Struct {
			collectSetFields(fv.Elem(), prefix+name+".", out)
			continue
		}
		*out = append(*out, prefix+name)
	}
}

// dottedPath turns interface.mtu into the field path it names.
func dottedPath(dotted string) *field.Path {
	parts := strings.Split(dotted, ".")
	return field.NewPath(parts[0], parts[1:]...)
}
