// Package suite is netclaim's end-to-end suite. It drives the local cluster that
// test/e2e/scripts/cluster-up.sh starts (real kube-apiserver, kube-scheduler and
// kube-controller-manager; simulated nodes with a netclaim-plugin and a node agent each)
// through the life of claims, and asserts on the API (allocations, status.devices
// networkData, events) and on the kernel (netlink inside pod and node network namespaces).
//
// It runs with `make e2e`, or against a cluster already up:
//
//	eval "$(make -s cluster-up)"
//	cd test/e2e && go test -count=1 -v ./suite/
//
// Every test skips with the reason when KUBECONFIG does not point at the local cluster:
// the suite kills plugins and rewires node namespaces, which it must never do elsewhere.
// Tests run one after another (no t.Parallel): they share the nodes' devices.
package suite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// The run directory layout and names cluster-up.sh uses (test/e2e/scripts/lib.sh).
const (
	defaultRunDir = "/run/netclaim-e2e"
	// runMarker marks a directory made by cluster-up.sh.
	runMarker = ".netclaim-e2e-run"
	// simulatedNodeLabel is set on every Node cluster-up.sh creates.
	simulatedNodeLabel = "netclaim.dev/simulated=true"
	driverName         = e2eutil.DriverName
)

var errNoNodes = errors.New("no Node has label " + simulatedNodeLabel + ": is this the cluster of cluster-up.sh?")

// cluster is what the tests know about the running local cluster.
type cluster struct {
	client kubernetes.Interface
	// runDir is cluster-up's run directory: pid files, logs, node state.
	runDir string
	// nodes are the simulated nodes, sorted by name.
	nodes []string
}

var shared e2eutil.SharedEnv[*cluster]

// localCluster returns the cluster, skipping the test when there is none to use.
func localCluster(t *testing.T) *cluster {
	t.Helper()
	return shared.Get(t, "the local e2e cluster", connect)
}

// connect checks that KUBECONFIG is the local cluster's and that this process can enter
// network namespaces, then lists the simulated nodes. The skip reason is non-empty when
// the suite must not run here.
func connect() (c *cluster, skip string, err error) {
	runDir := e2eutil.EnvOr("NETCLAIM_E2E_RUN", defaultRunDir)
	kubeconfig := os.Getenv("KUBECONFIG")
	if kubeconfig == "" {
		return nil, "KUBECONFIG is not set: this suite needs the local e2e cluster; run `make e2e`, " +
			"or `eval \"$(make -s cluster-up)\"` and then go test", nil
	}
	if !e2eutil.Exists(filepath.Join(runDir, runMarker)) {
		return nil, "no local e2e cluster in " + runDir + " (set NETCLAIM_E2E_RUN to its run directory, " +
			"or start one with `make cluster-up`)", nil
	}
	if filepath.Clean(kubeconfig) != filepath.Join(runDir, "kubeconfig") {
		return nil, "KUBECONFIG=" + kubeconfig + " is not the local e2e cluster's (" + runDir +
			"/kubeconfig): the suite kills plugins and rewires namespaces, so it runs only there", nil
	}
	if os.Geteuid() != 0 {
		return nil, "the suite reads pod and node network namespaces with netlink: run it as root", nil
	}
	// 30 pods and their claims are created and polled at once; the default 5 QPS would
	// make the suite measure its own client's rate limiter.
	client, err := e2eutil.NewClientset(kubeconfig, "netclaim-e2e-suite", 100, 200)
	if err != nil {
		return nil, "", err
	}
	nodes, err := client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{LabelSelector: simulatedNodeLabel})
	if err != nil {
		return nil, "", err
	}
	c = &cluster{client: client, runDir: runDir}
	for _, n := range nodes.Items {
		c.nodes = append(c.nodes, n.Name)
	}
	if len(c.nodes) == 0 {
		return nil, "", errNoNodes
	}
	return c, "", nil
}

// nodeDir is the run directory of one node: root (fake sysfs), state (checkpoint), cdi.
func (c *cluster) nodeDir(node string) string { return filepath.Join(c.runDir, "nodes", node) }

// resultsFile is where measurements go for the report; make e2e keeps it.
func (c *cluster) resultsFile() string {
	return e2eutil.EnvOr("NETCLAIM_E2E_RESULTS", filepath.Join(c.runDir, "results.txt"))
}
