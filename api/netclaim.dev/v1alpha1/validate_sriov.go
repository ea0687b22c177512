package v1alpha1

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxDriverNameLen bounds a driver name; sysfs has no limit, but real ones are short.
const maxDriverNameLen = 64

func validateSRIOV(s *SRIOVConfig, path *field.Path) field.ErrorList {
	if s == nil {
		return nil
	}
	var errs field.ErrorList
	if s.MinTxRateMbps != nil && *s.MinTxRateMbps < 0 {
		errs = append(errs, field.Invalid(path.Child("minTxRateMbps"), *s.MinTxRateMbps, "must not be negative (0 means no guaranteed rate)"))
	}
	if s.MaxTxRateMbps != nil && *s.MaxTxRateMbps < 0 {
		errs = append(errs, field.Invalid(path.Child("maxTxRateMbps"), *s.MaxTxRateMbps, "must not be negative (0 means no cap)"))
	}
	if s.MinTxRateMbps != nil && s.MaxTxRateMbps != nil && *s.MaxTxRateMbps > 0 && *s.MinTxRateMbps > *s.MaxTxRateMbps {
		errs = append(errs, field.Invalid(path.Child("minTxRateMbps"), *s.MinTxRateMbps,
			fmt.Sprintf("must not exceed maxTxRateMbps %d", *s.MaxTxRateMbps)))
	}
	if s.LinkState != "" && !slices.Contains(LinkStates, s.LinkState) {
		errs = append(errs, field.NotSupported(path.Child("linkState"), s.LinkState, LinkStates))
	}
	if s.Driver != "" && !isDriverName(s.Driver) {
		errs = append(errs, field.Invalid(path.Child("driver"), s.Driver, fmt.Sprintf(
			"must be a kernel driver name such as vfio-pci: lowercase letters, digits, '-' and '_', at most %d characters", maxDriverNameLen)))
	}
	return errs
}

// isDriverName accepts the names under /sys/bus/pci/drivers; the charset also keeps the
// name from escaping that directory when the driver joins it to a path.
func isDriverName(s string) bool {
	if len(s) > maxDriverNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '_') {
			return false
		}
	}
	return s != ""
}
