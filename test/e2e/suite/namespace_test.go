package suite

import (
	"testing"
	"time"

	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// cleanupTimeout bounds the teardown of a test's namespace: every pod in it goes through
// the node agent's StopPodSandbox and NodeUnprepareResources first.
const cleanupTimeout = 2 * time.Minute

// newNamespace creates a namespace for one test. At cleanup it describes what is in it
// (when the test failed) and frees it, so the next test finds every device free again.
func newNamespace(t *testing.T, c *cluster) string {
	t.Helper()
	name := e2eutil.CreateTestNamespace(t, c.client)
	t.Cleanup(func() {
		if t.Failed() {
			describeNamespace(t, c, name)
		}
		e2eutil.FreeNamespace(t, c.client, name, pollInterval, cleanupTimeout)
	})
	return name
}

// deletePod deletes a pod gracefully, as a user would, and waits until it is gone: the node
// agent (as kubelet) stops the sandbox, unprepares the claims and removes the object.
func deletePod(t *testing.T, c *cluster, ns, name string) {
	t.Helper()
	e2eutil.DeletePod(t, c.client, ns, name, pollInterval, deleteTimeout)
}
