package v1alpha1

import (
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validateVLAN(v *VLANConfig, path *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	var errs field.ErrorList
	switch {
	case v.ID == nil:
		errs = append(errs, field.Required(path.Child("id"), "set the VLAN ID, 1..4094"))
	case *v.ID < 1 || *v.ID > 4094:
		errs = append(errs, field.Invalid(path.Child("id"), *v.ID, "must be between 1 and 4094 (0 means untagged and 4095 is reserved)"))
	}
	if v.QoS != nil && (*v.QoS < 0 || *v.QoS > 7) {
		errs = append(errs, field.Invalid(path.Child("qos"), *v.QoS, "must be between 0 and 7 (the 802.1p priority)"))
	}
	if v.Protocol != "" && !slices.Contains(VLANProtocols, v.Protocol) {
		errs = append(errs, field.NotSupported(path.Child("protocol"), v.Protocol, VLANProtocols))
	}
	return errs
}

// validateModeVLAN requires a VLAN ID for interface.mode vlan: the sub-interface is
// nothing but its tag. It relates two top-level fields, so it runs on merged configs only
// (a class may fix the mode while each claim picks its VLAN).
func validateModeVLAN(ic *InterfaceConfig, v *VLANConfig, path *field.Path) field.ErrorList {
	if ic == nil || ic.Mode != ModeVLAN || v != nil {
		return nil
	}
	return field.ErrorList{field.Required(path.Child("id"), "interface.mode vlan creates an 802.1Q sub-interface: set the VLAN ID, 1..4094")}
}
