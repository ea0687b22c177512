package suite

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"

	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// restartScript restarts a node's plugin exactly as cluster-up.sh started it.
const restartScript = "../scripts/restart-plugin.sh"

// A plugin killed with SIGKILL while its pods run, then restarted from its checkpoint,
// still serves new pods and, when all pods are deleted, puts every device back and
// forgets every claim: nothing leaks across the crash.
func TestPluginKilledWithPodsRunning_NoLeakAfterRestart(t *testing.T) {
	c := localCluster(t)
	node := c.nodes[0]
	ns := newNamespace(t, c)
	class := e2eutil.CreateClass(t, c.client, e2eutil.DeviceClass(ns+"-vf", celVF))
	e2eutil.CreateTemplate(t, c.client, e2eutil.ClaimTemplate(ns, "vf", claimSpec([]resourceapi.DeviceRequest{request("net", class.Name)}, nil)))
	before := e2eutil.MustReadLinks(t, nodeNetnsPath(node))

	const running = 3
	for i := range running {
		e2eutil.CreatePod(t, c.client, onNode(pod(ns, fmt.Sprintf("before-%d", i), podClaim("net", "vf", true)), node))
	}
	for i := range running {
		waitPodRunning(t, c, ns, fmt.Sprintf("before-%d", i), podTimeout)
	}

	killPlugin(t, c, node)
	out, err := exec.Command(restartScript, node).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", restartScript, node, err, out)
	}
	t.Logf("restarted the plugin of %s:\n%s", node, strings.TrimSpace(string(out)))

	// The restarted plugin prepares and attaches new work too.
	e2eutil.CreatePod(t, c.client, onNode(pod(ns, "after", podClaim("net", "vf", true)), node))
	p := waitPodRunning(t, c, ns, "after", restartTimeout)
	claim := waitClaimStatus(t, c, ns, e2eutil.PodResourceClaim(t, c.client, p, "net").Name)
	dev := allocated(t, c, claim)["net"]
	requireAttached(t, p, claim, dev, wantInterface{Name: "net1", MTU: int(dev.int(attrMTU))})

	for i := range running {
		deletePod(t, c, ns, fmt.Sprintf("before-%d", i))
	}
	deletePod(t, c, ns, "after")
	if diff := cmp.Diff(before, e2eutil.MustReadLinks(t, nodeNetnsPath(node))); diff != "" {
		t.Errorf("interfaces of %s after the pods were deleted differ from before (-before +after):\n%s", node, diff)
	}
	requireNodeClean(t, c, node)
}

// killPlugin sends SIGKILL to the node's plugin (a crash: no cleanup) and waits until it
// is gone. The pid file is cluster-up's; the process behind it is checked to be the
// plugin, so a recycled pid is never killed.
func killPlugin(t *testing.T, c *cluster, node string) {
	t.Helper()
	pidFile := filepath.Join(c.runDir, "pids", node+"-plugin.pid")
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("reading the plugin's pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("pid file %s: %v", pidFile, err)
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil || filepath.Base(exe) != "netclaim-plugin" {
		t.Fatalf("pid %d from %s is not a running netclaim-plugin (exe %q, %v)", pid, pidFile, exe, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing the plugin of %s (pid %d): %v", node, pid, err)
	}
	// The plugin's parent is init (cluster-up detached it), which reaps it; the exe link
	// is gone as soon as it exited, zombie or not.
	poll(t, "the killed plugin gone", 10*time.Second, func(context.Context) (bool, error) {
		_, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		return err != nil, nil
	})
	t.Logf("killed the plugin of %s (pid %d) with SIGKILL", node, pid)
}
