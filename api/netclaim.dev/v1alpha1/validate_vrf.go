package v1alpha1

import "k8s.io/apimachinery/pkg/util/validation/field"

// tableDefault is RT_TABLE_DEFAULT, looked up by the default rule at priority 32767.
const tableDefault = 253

func validateVRF(v *VRFConfig, path *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	var errs field.ErrorList
	switch {
	case v.Name == "":
		errs = append(errs, field.Required(path.Child("name"), "name the VRF device, e.g. blue"))
	default:
		if msg := interfaceNameProblem(v.Name); msg != "" {
			errs = append(errs, field.Invalid(path.Child("name"), v.Name, msg))
		}
	}
	tp := path.Child("table")
	switch {
	case v.Table == nil:
		errs = append(errs, field.Required(tp, "set the VRF's routing table, e.g. 1001"))
	case *v.Table < 1:
		errs = append(errs, field.Invalid(tp, *v.Table, "must be at least 1"))
	case *v.Table == tableDefault || *v.Table == tableMain || *v.Table == tableLocal:
		// The kernel's default rules look these up for all traffic in every network
		// namespace, so VRF routes placed there would leak out of the VRF.
		errs = append(errs, field.Invalid(tp, *v.Table, "is reserved: 253 (default), 254 (main) and 255 (local) serve the kernel's default rules; pick another table, e.g. 1001"))
	}
	return errs
}

func validateVRFNameDistinct(v *VRFConfig, ic *InterfaceConfig, path *field.Path) field.ErrorList {
	if v == nil || v.Name == "" || ic == nil || ic.Name == nil || *ic.Name != v.Name {
		return nil
	}
	return field.ErrorList{field.Invalid(path, v.Name, "must differ from interface.name: the VRF is a device of its own in the pod")}
}
