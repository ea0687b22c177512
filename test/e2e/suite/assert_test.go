package suite

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// wantInterface is what a test expects of one attached device inside its pod.
type wantInterface struct {
	Name  string
	MTU   int
	Addrs []string
	// MAC is set when the config sets one; otherwise the device keeps its published MAC.
	MAC string
}

// requireAttached checks one netclaim device of a running pod on both sides: the claim's
// status.devices entry (Ready, networkData) and the interface in the pod's network
// namespace, which must be up with the expected name, MTU, MAC (the allocated device's
// published one unless configured) and addresses, and agree with networkData.
func requireAttached(t *testing.T, p *corev1.Pod, claim *resourceapi.ResourceClaim, dev device, want wantInterface) e2eutil.Link {
	t.Helper()
	st, err := deviceStatus(claim, dev.deviceKey)
	if err != nil {
		t.Fatal(err)
	}
	if !readyTrue(st.Conditions) {
		t.Errorf("status of %s in claim %s: no Ready=True condition: %+v", dev, claim.Name, st.Conditions)
	}
	if st.NetworkData == nil {
		t.Fatalf("status of %s in claim %s has no networkData", dev, claim.Name)
	}
	mac := want.MAC
	if mac == "" {
		mac = dev.str(attrMAC)
	}
	wantData := resourceapi.NetworkDeviceData{InterfaceName: want.Name, IPs: sorted(want.Addrs), HardwareAddress: mac}
	gotData := *st.NetworkData
	gotData.IPs = sorted(gotData.IPs)
	if diff := cmp.Diff(wantData, gotData); diff != "" {
		t.Errorf("networkData of %s in claim %s (-want +got):\n%s", dev, claim.Name, diff)
	}

	inPod := e2eutil.MustReadLinks(t, podNetnsPath(p))
	got, ok := inPod[want.Name]
	if !ok {
		t.Fatalf("pod %s/%s: no interface %q in %s; it has %v", p.Namespace, p.Name, want.Name, podNetnsPath(p), names(inPod))
	}
	wantLink := e2eutil.Link{Name: want.Name, MTU: want.MTU, MAC: mac, Up: true, Addrs: sorted(want.Addrs)}
	if diff := cmp.Diff(wantLink, got); diff != "" {
		t.Errorf("interface %s of pod %s/%s (device %s) (-want +got):\n%s", want.Name, p.Namespace, p.Name, dev, diff)
	}
	return got
}

func readyTrue(conds []metav1.Condition) bool {
	for _, c := range conds {
		if c.Type == "Ready" && c.Status == metav1.ConditionTrue {
			return true
		}
	}
	return false
}

func sorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Sorted(slices.Values(s))
}

func names(m map[string]e2eutil.Link) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// requireNodeClean checks that a node's plugin remembers no claim and has no CDI spec
// left: its checkpoint lists no claims and its CDI directory is empty.
func requireNodeClean(t *testing.T, c *cluster, node string) {
	t.Helper()
	dir := c.nodeDir(node)
	// Inspect reads without the tidying Open does under the running plugin's feet.
	left, err := checkpoint.Inspect(filepath.Join(dir, "state", "checkpoint.json"))
	if err != nil {
		t.Fatalf("reading the checkpoint of %s: %v", node, err)
	}
	for _, c := range left {
		t.Errorf("checkpoint of %s still holds claim %s/%s (%s)", node, c.Namespace, c.Name, c.UID)
	}
	cdi, err := os.ReadDir(filepath.Join(dir, "cdi"))
	if err != nil {
		t.Fatalf("reading the CDI directory of %s: %v", node, err)
	}
	for _, e := range cdi {
		t.Errorf("CDI directory of %s still holds %s", node, e.Name())
	}
}
