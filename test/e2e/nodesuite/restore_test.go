package nodesuite

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Deleting the pod puts its NIC back into the host namespace exactly as it was before the
// pod ran (name, MTU, MAC, up, no addresses), and the plugin forgets the claim: no
// checkpoint entry, no CDI spec (its own or the device metadata's) left on the node.
func TestPodDeleted_InterfaceRestoredOnHost(t *testing.T) {
	n := realNode(t)
	before := testNICs(t)
	run := startNICPod(t, n, "app", "exec sleep 3600")
	if _, ok := before[run.hostIf]; !ok {
		t.Fatalf("the pod got %s, which was not a free test NIC before (%v)", run.hostIf, before)
	}
	if specs := cdiSpecs(t, n); len(specs) == 0 {
		t.Errorf("no CDI spec in %s while the pod runs", filepath.Join(n.runDir, "cdi"))
	}

	deletePod(t, n, run.ns, run.pod)

	if diff := cmp.Diff(before, testNICs(t)); diff != "" {
		t.Errorf("test NICs on the host after the pod's deletion (-before +after):\n%s", diff)
	}
	waitCheckpointClaims(t, n, 0)
	poll(t, "no CDI spec left in "+filepath.Join(n.runDir, "cdi"), deleteTimeout, func(context.Context) (bool, error) {
		return len(cdiSpecs(t, n)) == 0, nil
	})
}

// cdiSpecs lists the files in the node's CDI spec directory (containerd's cdi_spec_dirs).
func cdiSpecs(t *testing.T, n *node) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(n.runDir, "cdi"))
	if err != nil {
		t.Fatalf("reading the CDI directory: %v", err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
