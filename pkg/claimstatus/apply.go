package claimstatus

import (
	"context"
	"fmt"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// ConditionReady is the condition type netclaim sets on each device it configured.
const ConditionReady = "Ready"

// apply replaces this driver's entries in status.devices with u's, keeping other drivers'.
//
// It reads, modifies and updates rather than using server-side apply: apply re-encodes
// the whole object, including the opaque config parameters inside status.allocation, and
// when a client stored those with unsorted JSON keys the re-encoded bytes differ, so the
// API server rejects the write as a change of the immutable allocation (seen with
// kube-apiserver 1.37.2 on parameters created by a Go client, whose TypeMeta puts kind
// before apiVersion). An update sends the allocation back byte for byte.
func (w *Writer) apply(ctx context.Context, u Update) error {
	claims := w.client.ResourceV1().ResourceClaims(u.Namespace)
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		claim, err := claims.Get(ctx, u.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil // the claim is gone: nothing of ours is left to report
		}
		if err != nil {
			return fmt.Errorf("reading claim %s/%s: %w", u.Namespace, u.Name, err)
		}
		if string(claim.UID) != u.UID || claim.Status.Allocation == nil && len(u.Devices) > 0 {
			return nil // replaced or deallocated since: the update is about a claim that no longer exists
		}
		devices := w.mergeDevices(claim.Status.Devices, u)
		if equality.Semantic.DeepEqual(devices, claim.Status.Devices) {
			return nil
		}
		claim.Status.Devices = devices
		if _, err := claims.UpdateStatus(ctx, claim, metav1.UpdateOptions{FieldManager: w.driver}); err != nil {
			return fmt.Errorf("updating status.devices of claim %s/%s: %w", u.Namespace, u.Name, err)
		}
		return nil
	})
}

// mergeDevices keeps other drivers' entries and puts u's in place of ours. A Ready
// condition that did not change keeps its lastTransitionTime, so a repeated update is a
// no-op instead of a write.
func (w *Writer) mergeDevices(current []resourceapi.AllocatedDeviceStatus, u Update) []resourceapi.AllocatedDeviceStatus {
	ours := map[string]resourceapi.AllocatedDeviceStatus{}
	var out []resourceapi.AllocatedDeviceStatus
	for _, d := range current {
		if d.Driver == w.driver {
			ours[d.Pool+"/"+d.Device] = d
			continue
		}
		out = append(out, d)
	}
	for _, d := range u.Devices {
		out = append(out, w.deviceStatus(d, ours[d.Pool+"/"+d.Device]))
	}
	return out
}

func (w *Writer) deviceStatus(d DeviceStatus, previous resourceapi.AllocatedDeviceStatus) resourceapi.AllocatedDeviceStatus {
	s := resourceapi.AllocatedDeviceStatus{
		Driver:     w.driver,
		Pool:       d.Pool,
		Device:     d.Device,
		Conditions: []metav1.Condition{readyCondition(d, previous.Conditions)},
	}
	// A device handed over without a netdev (a VF bound to vfio-pci for DPDK) has no
	// network data to report; an empty object would only look like a failed attach.
	if d.InterfaceName != "" || len(d.IPs) > 0 || d.HardwareAddress != "" {
		s.NetworkData = &resourceapi.NetworkDeviceData{
			InterfaceName:   d.InterfaceName,
			IPs:             d.IPs,
			HardwareAddress: d.HardwareAddress,
		}
	}
	return s
}

func readyCondition(d DeviceStatus, previous []metav1.Condition) metav1.Condition {
	status := metav1.ConditionFalse
	if d.Ready {
		status = metav1.ConditionTrue
	}
	reason := d.Reason
	if reason == "" {
		reason = "Configured"
	}
	c := metav1.Condition{Type: ConditionReady, Status: status, Reason: reason, Message: d.Message, LastTransitionTime: metav1.Now()}
	for _, p := range previous {
		if p.Type == ConditionReady && p.Status == status {
			c.LastTransitionTime = p.LastTransitionTime
		}
	}
	return c
}
