package claimstatus

import (
	"context"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	resourceac "k8s.io/client-go/applyconfigurations/resource/v1"
)

// ConditionReady is the condition type netclaim sets on each device it configured.
const ConditionReady = "Ready"

func (w *Writer) apply(ctx context.Context, u Update) error {
	ac := resourceac.ResourceClaim(u.Name, u.Namespace).
		WithUID(types.UID(u.UID)).
		WithStatus(resourceac.ResourceClaimStatus().WithDevices(w.deviceStatuses(u)...))
	_, err := w.client.ResourceV1().ResourceClaims(u.Namespace).ApplyStatus(ctx, ac,
		metav1.ApplyOptions{FieldManager: w.driver, Force: true})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) && len(u.Devices) == 0 {
		// The claim is gone, or it was deallocated/recreated (UID precondition failed) while
		// we were clearing our entries: there is nothing of ours left to report.
		return nil
	}
	if err != nil {
		return fmt.Errorf("applying status.devices of claim %s/%s: %w", u.Namespace, u.Name, err)
	}
	return nil
}

func (w *Writer) deviceStatuses(u Update) []*resourceac.AllocatedDeviceStatusApplyConfiguration {
	out := make([]*resourceac.AllocatedDeviceStatusApplyConfiguration, 0, len(u.Devices))
	for _, d := range u.Devices {
		out = append(out, resourceac.AllocatedDeviceStatus().
			WithDriver(w.driver).
			WithPool(d.Pool).
			WithDevice(d.Device).
			WithConditions(readyCondition(d)).
			WithNetworkData(resourceac.NetworkDeviceData().
				WithInterfaceName(d.InterfaceName).
				WithIPs(d.IPs...).
				WithHardwareAddress(d.HardwareAddress)))
	}
	return out
}

func readyCondition(d DeviceStatus) *metav1ac.ConditionApplyConfiguration {
	status := metav1.ConditionFalse
	if d.Ready {
		status = metav1.ConditionTrue
	}
	reason := d.Reason
	if reason == "" {
		reason = "Configured"
	}
	return metav1ac.Condition().
		WithType(ConditionReady).
		WithStatus(status).
		WithReason(reason).
		WithMessage(d.Message).
		WithLastTransitionTime(metav1.Now())
}

func sameUpdate(a, b Update) bool { return reflect.DeepEqual(a, b) }
