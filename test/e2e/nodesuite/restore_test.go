package nodesuite

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Deleting the pod puts its NIC back into the host namespace exactly as it was before the
// pod ran: name, MTU, MAC, up, no addresses.
func TestPodDeleted_InterfaceRestoredOnHost(t *testing.T) {
	n := realNode(t)
	before := testNICs(t)
	run := startNICPod(t, n, "app", "exec sleep 3600")
	if _, ok := before[run.hostIf]; !ok {
		t.Fatalf("the pod got %s, which was not a free test NIC before (%v)", run.hostIf, before)
	}

	deletePod(t, n, run.ns, run.pod)

	if diff := cmp.Diff(before, testNICs(t)); diff != "" {
		t.Errorf("test NICs on the host after the pod's deletion (-before +after):\n%s", diff)
	}
}
