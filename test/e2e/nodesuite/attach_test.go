package nodesuite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/dynamic-resource-allocation/api/metadata"
	"k8s.io/dynamic-resource-allocation/devicemetadata"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// What the tests configure on the NIC a pod gets.
const (
	podIfName = "net1"
	podMTU    = 1400
	podMAC    = "02:aa:bb:00:00:01"
	podAddr   = "10.77.0.2/24"
)

func nicConfig() *v1alpha1.NetworkConfig {
	return &v1alpha1.NetworkConfig{
		Interface: &v1alpha1.InterfaceConfig{Name: e2eutil.PtrTo(podIfName), MTU: e2eutil.PtrTo[int32](podMTU), MAC: podMAC},
		Addresses: []string{podAddr},
	}
}

// metadataFile is where KEP-5304 mounts the metadata of request "nic" of pod claim "net"
// (a claim from a template) into the container.
var metadataFile = metadata.ResourceClaimTemplateFilePath(driverName, "net", "nic")

// reportScript prints, between "--- name" lines, what the container itself sees of its
// netclaim interface, then the device metadata file once netclaim filled in networkData
// (after attach), then sleeps.
var reportScript = strings.Join([]string{
	"echo '--- addr'; ip -o addr show dev " + podIfName,
	"echo '--- link'; ip -o link show dev " + podIfName,
	"echo '--- mtu'; cat /sys/class/net/" + podIfName + "/mtu",
	"echo '--- mac'; cat /sys/class/net/" + podIfName + "/address",
	"i=0; while [ $i -lt 100 ] && ! grep -q networkData " + metadataFile + " 2>/dev/null; do sleep 0.2; i=$((i+1)); done",
	"echo '--- metadata'; cat " + metadataFile + "; echo",
	"echo '--- end'; exec sleep 3600",
}, "\n")

// sections splits a report by its "--- name" lines.
func sections(out string) map[string]string {
	got := map[string]string{}
	name := ""
	for _, line := range strings.Split(out, "\n") {
		if s, ok := strings.CutPrefix(line, "--- "); ok {
			name = s
			continue
		}
		if name != "" {
			got[name] += line + "\n"
		}
	}
	for k, v := range got {
		got[k] = strings.TrimSpace(v)
	}
	return got
}

// nicPod creates a class for the test NICs, a template configuring one with nicConfig and
// a busybox pod running script with it, waits until it runs and netclaim reported the
// claim's status, and returns the pod's namespace, the pod, its claim and the host name of
// the NIC it got.
type nicPodRun struct {
	ns, pod string
	claim   *resourceapi.ResourceClaim
	hostIf  string
	netns   string
}

func startNICPod(t *testing.T, n *node, name, script string) nicPodRun {
	t.Helper()
	ns := newNamespace(t, n)
	e2eutil.CreateClass(t, n.client, testNICClass(ns+"-nic"))
	e2eutil.CreateTemplate(t, n.client, nicTemplate(t, ns, "nic", ns+"-nic", nicConfig()))
	return startNICPodIn(t, n, ns, name, script)
}

func startNICPodIn(t *testing.T, n *node, ns, name, script string) nicPodRun {
	t.Helper()
	e2eutil.CreatePod(t, n.client, n.busyboxPod(ns, name, "nic", script))
	p := waitPodRunning(t, n, ns, name)
	claim := waitNetworkData(t, n, ns, e2eutil.PodResourceClaim(t, n.client, p, "net").Name)
	return nicPodRun{ns: ns, pod: name, claim: claim, hostIf: allocatedIfName(t, n, claim), netns: podNetnsPath(t, p)}
}

// allocatedIfName returns the host interface name netclaim published for the claim's
// device.
func allocatedIfName(t *testing.T, n *node, claim *resourceapi.ResourceClaim) string {
	t.Helper()
	if claim.Status.Allocation == nil || len(claim.Status.Allocation.Devices.Results) != 1 {
		t.Fatalf("claim %s/%s: want one allocated device, got %+v", claim.Namespace, claim.Name, claim.Status.Allocation)
	}
	r := claim.Status.Allocation.Devices.Results[0]
	slices, err := n.client.ResourceV1().ResourceSlices().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing ResourceSlices: %v", err)
	}
	for _, s := range slices.Items {
		if s.Spec.Driver != r.Driver || s.Spec.Pool.Name != r.Pool {
			continue
		}
		for _, d := range s.Spec.Devices {
			if d.Name == r.Device {
				if v := d.Attributes["ifName"].StringValue; v != nil {
					return *v
				}
			}
		}
	}
	t.Fatalf("no ResourceSlice publishes the ifName of %s/%s/%s", r.Driver, r.Pool, r.Device)
	return ""
}

// A pod with a claim on a real kubelet + containerd node gets its NIC configured before
// its container starts: the container itself sees net1 with the MTU, MAC and address of
// the claim's config, the kernel agrees (netlink in the pod's namespace), the NIC left the
// host, and the claim's status.devices carries the same networkData.
func TestPodWithClaim_ContainerSeesConfiguredInterface(t *testing.T) {
	n := realNode(t)
	run := startNICPod(t, n, "app", reportScript)
	report := sections(waitLogLine(t, n, run.ns, run.pod, "--- end"))

	if !strings.Contains(report["addr"], "inet "+podAddr) {
		t.Errorf("the container's `ip addr show dev %s` lacks %s:\n%s", podIfName, podAddr, report["addr"])
	}
	if !strings.Contains(report["link"], "UP") {
		t.Errorf("the container sees %s down:\n%s", podIfName, report["link"])
	}
	if diff := cmp.Diff(map[string]string{"mtu": fmt.Sprint(podMTU), "mac": podMAC},
		map[string]string{"mtu": report["mtu"], "mac": report["mac"]}); diff != "" {
		t.Errorf("what the container reads from /sys/class/net/%s (-want +got):\n%s", podIfName, diff)
	}

	want := e2eutil.Link{Name: podIfName, MTU: podMTU, MAC: podMAC, Up: true, Addrs: []string{podAddr}}
	if diff := cmp.Diff(want, e2eutil.MustReadLinks(t, run.netns)[podIfName]); diff != "" {
		t.Errorf("%s in the pod's network namespace %s (-want +got):\n%s", podIfName, run.netns, diff)
	}
	if _, ok := testNICs(t)[run.hostIf]; ok {
		t.Errorf("%s is still in the host namespace while the pod holds it", run.hostIf)
	}
	wantData := &resourceapi.NetworkDeviceData{InterfaceName: podIfName, IPs: []string{podAddr}, HardwareAddress: podMAC}
	if diff := cmp.Diff(wantData, run.claim.Status.Devices[0].NetworkData); diff != "" {
		t.Errorf("networkData of claim %s (-want +got):\n%s", run.claim.Name, diff)
	}
}

// KEP-5304: the container finds netclaim's device metadata at the well-known path, and
// after attach it names the interface, its addresses and MAC, and carries the device's
// published attributes.
func TestDeviceMetadata_ContainerReadsInterfaceIPsAndMAC(t *testing.T) {
	n := realNode(t)
	run := startNICPod(t, n, "app", reportScript)
	report := sections(waitLogLine(t, n, run.ns, run.pod, "--- end"))

	raw := report["metadata"]
	if raw == "" {
		t.Fatalf("the container found no metadata file at %s (is the plugin's device metadata on?)", metadataFile)
	}
	var md metadata.DeviceMetadata
	if err := devicemetadata.DecodeMetadataFromStream(json.NewDecoder(bytes.NewReader([]byte(raw))), &md); err != nil {
		t.Fatalf("decoding %s as the container read it: %v\n%s", metadataFile, err, raw)
	}
	var dev *metadata.Device
	for i, r := range md.Requests {
		if r.Name == "nic" && len(r.Devices) == 1 {
			dev = &md.Requests[i].Devices[0]
		}
	}
	if dev == nil {
		t.Fatalf("metadata has no request \"nic\" with one device:\n%s", raw)
	}
	wantData := &resourceapi.NetworkDeviceData{InterfaceName: podIfName, IPs: []string{podAddr}, HardwareAddress: podMAC}
	if diff := cmp.Diff(wantData, dev.NetworkData); diff != "" {
		t.Errorf("networkData in the container's metadata (-want +got):\n%s\nfile:\n%s", diff, raw)
	}
	ifName := dev.Attributes["ifName"].StringValue
	if ifName == nil {
		ifName = dev.Attributes[driverName+"/ifName"].StringValue
	}
	if ifName == nil || *ifName != run.hostIf {
		t.Errorf("metadata attribute ifName = %v, want the device's host name %s", ifName, run.hostIf)
	}
	if dev.Driver != driverName {
		t.Errorf("metadata device driver = %q, want %q", dev.Driver, driverName)
	}
}
