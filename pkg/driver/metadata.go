package driver

import (
	"context"
	"errors"
	"fmt"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"

	"github.com/netclaim/netclaim/pkg/plan"
)

// MetadataWriter is the part of kubeletplugin.Helper that rewrites a request's KEP-5304
// device metadata file, the JSON the kubelet helper bind-mounts into containers.
type MetadataWriter interface {
	UpdateRequestMetadata(ctx context.Context, claimNamespace, claimName string, claimUID types.UID,
		requestName string, devices []kubeletplugin.Device) error
}

// prepareResult is what the kubelet gets for a prepared claim: one entry per device, each
// with its CDI device and its metadata. Requests carries the parent request name, which
// the kubelet accepts for subrequests too and which is what containers reference.
func (d *Driver) prepareResult(c plan.Claim) kubeletplugin.PrepareResult {
	return kubeletplugin.PrepareResult{Devices: d.resultDevices(c)}
}

// resultDevices describes every device of c with its metadata: the published attributes
// always, and the network data (interface name, addresses, MAC) once the claim is attached.
// Prepare runs before the pod's netns exists, so a first prepare has no network data yet;
// UpdateMetadata fills it from the NRI hook. A repeated prepare of an attached claim (a
// restarted kubelet or plugin) rewrites the file with both, so it never loses them.
func (d *Driver) resultDevices(c plan.Claim) []kubeletplugin.Device {
	devices := make([]kubeletplugin.Device, len(c.Devices))
	for i, dev := range c.Devices {
		devices[i] = kubeletplugin.Device{
			Requests:     []string{dev.Request},
			PoolName:     dev.Pool,
			DeviceName:   dev.Device,
			CDIDeviceIDs: []string{c.CDIDeviceIDs[i]},
			Metadata:     d.deviceMetadata(c, i),
		}
	}
	return devices
}

func (d *Driver) deviceMetadata(c plan.Claim, i int) *kubeletplugin.DeviceMetadata {
	md := &kubeletplugin.DeviceMetadata{}
	if d.cfg.Attributes != nil {
		if attrs := d.cfg.Attributes(c.Devices[i].Device); len(attrs) > 0 {
			md.Attributes = make(map[string]resourceapi.DeviceAttribute, len(attrs))
			for name, v := range attrs {
				md.Attributes[string(name)] = v
			}
		}
	}
	// A device without a netdev (vfio-pci) has no network data: its PCI address is in the
	// attributes and the CDI environment.
	if c.Attachment != nil && c.Devices[i].UsesNetdev() {
		dev := c.Devices[i]
		md.NetworkData = &resourceapi.NetworkDeviceData{
			InterfaceName:   dev.Target.Name,
			IPs:             append([]string(nil), dev.Addresses...),
			HardwareAddress: c.HardwareAddr(i),
		}
	}
	if md.Attributes == nil && md.NetworkData == nil {
		return nil
	}
	return md
}

// UpdateMetadata rewrites the metadata files of an attached claim's requests with the
// interfaces' network data. The NRI plugin calls it after attach, before any container of
// the pod starts, so workloads read their interface name, addresses and MAC from the file.
func (d *Driver) UpdateMetadata(ctx context.Context, w MetadataWriter, c plan.Claim) error {
	byRequest := map[string][]kubeletplugin.Device{}
	var order []string
	for _, dev := range d.resultDevices(c) {
		req := dev.Requests[0]
		if _, seen := byRequest[req]; !seen {
			order = append(order, req)
		}
		byRequest[req] = append(byRequest[req], dev)
	}
	var errs []error
	for _, req := range order {
		if err := w.UpdateRequestMetadata(ctx, c.Namespace, c.Name, types.UID(c.UID), req, byRequest[req]); err != nil {
			errs = append(errs, fmt.Errorf("claim %s/%s request %s: updating device metadata: %w", c.Namespace, c.Name, req, err))
		}
	}
	return errors.Join(errs...)
}
