// Package nodesuite is netclaim's end-to-end suite on a REAL node: kubelet v1.37 and
// containerd 1.7 (NRI and CDI on) with runc and the bridge CNI, started by
// test/e2e/scripts/node-up.sh and joined to the local control plane of cluster-up.sh, with
// netclaim installed from its Helm chart as a user would. The node's test NICs are veth
// pairs in the host namespace named ncn<i>; pods get them through ResourceClaims.
//
// It runs with `make e2e-node` (test/e2e/scripts/e2e-node.sh), which brings everything up,
// runs this package and always tears down. Against a node already up:
//
//	eval "$(cat /run/netclaim-e2e-node/env.sh)"; eval "$(cat /run/netclaim-node/env.sh)"
//	cd test/e2e && go test -count=1 -v ./nodesuite/
//
// Every test skips with the reason when there is no such node: the suite kills the plugin
// and moves host interfaces, which it must never do anywhere else.
// Tests run one after another (no t.Parallel): they share the node's NICs.
package nodesuite

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// Names and paths of node-up.sh (test/e2e/scripts/node-lib.sh) and cluster-up.sh (lib.sh).
const (
	defaultClusterRun = "/run/netclaim-e2e-node"
	clusterMarker     = ".netclaim-e2e-run"
	defaultNodeRun    = "/run/netclaim-node"
	nodeMarker        = ".netclaim-node-run"
	defaultNodeName   = "nc-real"
	// cgroupRoot is kubelet's cgroupRoot (kubelet.yaml): pod cgroups live below it.
	cgroupRoot = "netclaim-node"
	// nicPrefix names the node's test NICs (ncn0, ncn1 ...); nothing else on the host
	// starts with it.
	nicPrefix = "ncn"
	// busyboxImage is imported by node-up.sh (hack/image/build-test-images.sh).
	defaultBusyboxImage = "netclaim.local/busybox:v1"
	// defaultPluginSelector finds the chart's DaemonSet and its pods.
	defaultPluginSelector = "app.kubernetes.io/name=netclaim"
	driverName            = e2eutil.DriverName
)

// node is what the tests know about the real node and its cluster.
type node struct {
	client kubernetes.Interface
	name   string
	// runDir is node-up.sh's run directory: kubelet root, containerd state, logs.
	runDir string
	// results is where measurements go; make e2e-node keeps it.
	results        string
	busybox        string
	pluginSelector string
}

var shared e2eutil.SharedEnv[*node]

// realNode returns the node, skipping the test when there is none to use.
func realNode(t *testing.T) *node {
	t.Helper()
	return shared.Get(t, "the real e2e node", connect)
}

// connect checks that KUBECONFIG is the local cluster's, that node-up.sh's node exists
// and this process is root, and reads the Node. The skip reason is non-empty when the
// suite must not run here.
func connect() (n *node, skip string, err error) {
	clusterRun := e2eutil.EnvOr("NETCLAIM_E2E_RUN", defaultClusterRun)
	nodeRun := e2eutil.EnvOr("NETCLAIM_NODE_RUN", defaultNodeRun)
	kubeconfig := os.Getenv("KUBECONFIG")
	switch {
	case kubeconfig == "":
		return nil, "KUBECONFIG is not set: this suite needs the real e2e node; run `make e2e-node`", nil
	case filepath.Clean(kubeconfig) != filepath.Join(clusterRun, "kubeconfig"):
		return nil, "KUBECONFIG=" + kubeconfig + " is not the local e2e cluster's (" + clusterRun +
			"/kubeconfig; set NETCLAIM_E2E_RUN): the suite kills plugins and moves host interfaces, so it runs only there", nil
	case !e2eutil.Exists(filepath.Join(clusterRun, clusterMarker)):
		return nil, "no local e2e cluster in " + clusterRun + " (run `make e2e-node`)", nil
	case !e2eutil.Exists(filepath.Join(nodeRun, nodeMarker)):
		return nil, "no real e2e node in " + nodeRun + " (set NETCLAIM_NODE_RUN, or run `make e2e-node`)", nil
	case os.Geteuid() != 0:
		return nil, "the suite reads pod and host network namespaces with netlink: run it as root", nil
	}
	client, err := e2eutil.NewClientset(kubeconfig, "netclaim-e2e-nodesuite", 0, 0)
	if err != nil {
		return nil, "", err
	}
	name := e2eutil.EnvOr("NETCLAIM_NODE_NAME", defaultNodeName)
	if _, err := client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{}); err != nil {
		return nil, "", err
	}
	return &node{
		client:         client,
		name:           name,
		runDir:         nodeRun,
		results:        e2eutil.EnvOr("NETCLAIM_E2E_RESULTS", filepath.Join(nodeRun, "results.txt")),
		busybox:        e2eutil.EnvOr("NETCLAIM_NODE_BUSYBOX_IMAGE", defaultBusyboxImage),
		pluginSelector: e2eutil.EnvOr("NETCLAIM_NODE_PLUGIN_SELECTOR", defaultPluginSelector),
	}, "", nil
}
