package driver

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"
	"k8s.io/utils/ptr"

	"github.com/netclaim/netclaim/pkg/plan"
)

// recordingMetadataWriter keeps every UpdateRequestMetadata call.
type recordingMetadataWriter struct {
	calls []metadataCall
}

type metadataCall struct {
	Namespace, Name string
	UID             types.UID
	Request         string
	Devices         []kubeletplugin.Device
}

func (w *recordingMetadataWriter) UpdateRequestMetadata(_ context.Context, ns, name string, uid types.UID, req string, devs []kubeletplugin.Device) error {
	w.calls = append(w.calls, metadataCall{ns, name, uid, req, devs})
	return nil
}

func publishedAttributes(device string) map[resourceapi.QualifiedName]resourceapi.DeviceAttribute {
	return map[resourceapi.QualifiedName]resourceapi.DeviceAttribute{
		"ifName":                          {StringValue: ptr.To("if-" + device)},
		"resource.kubernetes.io/pciBusID": {StringValue: ptr.To("0000:3b:02.1")},
	}
}

func wantAttributes(device string) map[string]resourceapi.DeviceAttribute {
	out := map[string]resourceapi.DeviceAttribute{}
	for k, v := range publishedAttributes(device) {
		out[string(k)] = v
	}
	return out
}

func TestPrepare_MetadataCarriesPublishedAttributesButNoNetworkDataBeforeAttach(t *testing.T) {
	f := newFixture(t, vf1, veth1)
	f.driver.cfg.Attributes = publishedAttributes
	claim := claimSpec{name: "a", pods: []string{"p"},
		results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name), result("ctrl", veth1.Name)}}.build()

	got := f.mustPrepare(t, claim)[claim.UID]

	for i, dev := range []string{vf1.Name, veth1.Name} {
		want := &kubeletplugin.DeviceMetadata{Attributes: wantAttributes(dev)}
		if diff := cmp.Diff(want, got.Devices[i].Metadata); diff != "" {
			t.Errorf("device %s metadata (-want +got):\n%s", dev, diff)
		}
	}
}

func TestUpdateMetadata_WritesNetworkDataPerRequestOnceAttached(t *testing.T) {
	f := newFixture(t, vf1, vf2, veth1)
	f.driver.cfg.Attributes = publishedAttributes
	claim := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{
		result("data", vf1.Name), result("data", vf2.Name), result("ctrl", veth1.Name)},
		configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(t, `
apiVersion: netclaim.dev/v1alpha1
kind: NetworkConfig
addresses: ["192.0.2.10/24"]
`, "ctrl")}}.build()
	f.mustPrepare(t, claim)
	attachAll(t, f, string(claim.UID))
	attached, _ := f.store.Get(string(claim.UID))

	w := &recordingMetadataWriter{}
	if err := f.driver.UpdateMetadata(context.Background(), w, attached); err != nil {
		t.Fatalf("UpdateMetadata: %v", err)
	}

	device := func(req, name, ifName, mac string, ips ...string) kubeletplugin.Device {
		return kubeletplugin.Device{Requests: []string{req}, PoolName: testNode, DeviceName: name,
			CDIDeviceIDs: []string{"netclaim.dev/net=uid-a-" + name},
			Metadata: &kubeletplugin.DeviceMetadata{Attributes: wantAttributes(name),
				NetworkData: &resourceapi.NetworkDeviceData{InterfaceName: ifName, IPs: ips, HardwareAddress: mac}}}
	}
	want := []metadataCall{
		{testNS, "a", "uid-a", "data", []kubeletplugin.Device{
			device("data", vf1.Name, "net1", vf1.MAC), device("data", vf2.Name, "net2", vf2.MAC)}},
		{testNS, "a", "uid-a", "ctrl", []kubeletplugin.Device{
			device("ctrl", veth1.Name, "net3", veth1.MAC, "192.0.2.10/24")}},
	}
	if diff := cmp.Diff(want, w.calls); diff != "" {
		t.Errorf("metadata updates (-want +got):\n%s", diff)
	}

	// A repeated prepare of the attached claim (kubelet or plugin restart) keeps the
	// network data in what it returns, so the rewritten file does not lose it.
	again := f.mustPrepare(t, claim)[claim.UID]
	if diff := cmp.Diff(want[1].Devices[0].Metadata, again.Devices[2].Metadata); diff != "" {
		t.Errorf("metadata on a repeated prepare (-want +got):\n%s", diff)
	}
}

// attachAll records an attachment as the NRI hook would, with each device's host MAC.
func attachAll(t *testing.T, f *fixture, uid string) {
	t.Helper()
	err := f.store.Update(uid, func(c *plan.Claim) error {
		att := &plan.Attachment{SandboxID: "sandbox-1", NetnsPath: "/var/run/netns/p"}
		for _, d := range c.Devices {
			att.Originals = append(att.Originals, plan.Original{Name: d.Host.Name, HardwareAddr: d.Host.HardwareAddr})
		}
		c.Attachment = att
		return nil
	})
	if err != nil {
		t.Fatalf("recording the attachment: %v", err)
	}
}
