package suite

import (
	"context"
	"fmt"
	"strings"
	"testing"

	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Attribute names the suite reads from published devices.
const (
	attrKind     = "netclaim.dev/kind"
	attrIfName   = "netclaim.dev/ifName"
	attrPFName   = "netclaim.dev/pfName"
	attrMAC      = "netclaim.dev/mac"
	attrMTU      = "netclaim.dev/mtu"
	attrPCIeRoot = "resource.kubernetes.io/pcieRoot"
)

// deviceKey names a published device: driver, pool and device name.
type deviceKey struct{ Driver, Pool, Device string }

func (k deviceKey) String() string { return k.Driver + "/" + k.Pool + "/" + k.Device }

// device is a published device with its attributes keyed by fully qualified name.
type device struct {
	deviceKey
	attrs map[string]resourceapi.DeviceAttribute
}

func (d device) str(name string) string {
	if v := d.attrs[name].StringValue; v != nil {
		return *v
	}
	return ""
}

func (d device) int(name string) int64 {
	if v := d.attrs[name].IntValue; v != nil {
		return *v
	}
	return -1
}

// publishedDevices reads every device of every driver from the ResourceSlices. Attribute
// names without a domain get the driver's, as the scheduler qualifies them.
func publishedDevices(t *testing.T, c *cluster) map[deviceKey]device {
	t.Helper()
	slices, err := c.client.ResourceV1().ResourceSlices().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing ResourceSlices: %v", err)
	}
	out := map[deviceKey]device{}
	for _, s := range slices.Items {
		for _, d := range s.Spec.Devices {
			key := deviceKey{Driver: s.Spec.Driver, Pool: s.Spec.Pool.Name, Device: d.Name}
			attrs := map[string]resourceapi.DeviceAttribute{}
			for name, v := range d.Attributes {
				attrs[qualify(string(name), s.Spec.Driver)] = v
			}
			out[key] = device{deviceKey: key, attrs: attrs}
		}
	}
	return out
}

func qualify(name, driver string) string {
	if strings.Contains(name, "/") {
		return name
	}
	return driver + "/" + name
}

// allocated returns the devices allocated to the claim, by request name, with their
// published attributes.
func allocated(t *testing.T, c *cluster, claim *resourceapi.ResourceClaim) map[string]device {
	t.Helper()
	if claim.Status.Allocation == nil {
		t.Fatalf("claim %s/%s is not allocated", claim.Namespace, claim.Name)
	}
	all := publishedDevices(t, c)
	out := map[string]device{}
	for _, r := range claim.Status.Allocation.Devices.Results {
		key := deviceKey{Driver: r.Driver, Pool: r.Pool, Device: r.Device}
		d, ok := all[key]
		if !ok {
			t.Fatalf("claim %s/%s got %s, which no ResourceSlice publishes", claim.Namespace, claim.Name, key)
		}
		out[r.Request] = d
	}
	return out
}

// deviceStatus returns the netclaim status entry of one allocated device.
func deviceStatus(claim *resourceapi.ResourceClaim, d deviceKey) (resourceapi.AllocatedDeviceStatus, error) {
	for _, st := range claim.Status.Devices {
		if st.Driver == d.Driver && st.Pool == d.Pool && st.Device == d.Device {
			return st, nil
		}
	}
	return resourceapi.AllocatedDeviceStatus{}, fmt.Errorf("claim %s/%s has no status.devices entry for %s", claim.Namespace, claim.Name, d)
}

// countVFs counts the SR-IOV VFs netclaim publishes over all nodes.
func countVFs(t *testing.T, c *cluster) int {
	t.Helper()
	n := 0
	for k, d := range publishedDevices(t, c) {
		if k.Driver == driverName && d.str(attrKind) == "vf" {
			n++
		}
	}
	return n
}
