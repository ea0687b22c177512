package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"golang.org/x/sys/unix"

	"github.com/netclaim/netclaim/test/netnstest"
)

// cniPath gives the pod the interface the way Multus or containerd does today: libcni runs
// a plugin chain from a network configuration list, ADD at sandbox start and DEL (with the
// cached result) at sandbox stop. The chain is host-device (move + rename, with static IPAM
// for the addresses and the route) and tuning (MTU), each plugin a binary exec'd per call;
// host-device execs static in turn.
type cniPath struct {
	name    string
	cni     *libcni.CNIConfig
	list    *libcni.NetworkConfigList
	podPath string
}

// cniPluginsMissing lists the binaries of the chain that dir lacks.
func cniPluginsMissing(dir string) []string {
	var missing []string
	for _, p := range []string{"host-device", "tuning", "static"} {
		if st, err := os.Stat(filepath.Join(dir, p)); err != nil || st.Mode()&0o111 == 0 {
			missing = append(missing, filepath.Join(dir, p))
		}
	}
	return missing
}

func newCNIPath(tb testing.TB, name, pluginDir string, n *node, nic netnstest.NIC) *cniPath {
	tb.Helper()
	if missing := cniPluginsMissing(pluginDir); len(missing) > 0 {
		tb.Fatalf("%s: plugins missing: %q (run test/bench/run.sh, which installs or builds them)", name, missing)
	}
	dir := tb.TempDir()
	// tuning keeps the state it restores at DEL in dataDir; libcni caches results in
	// cacheDir. Both default to system folders a benchmark must not write.
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       podNetwork,
		"plugins": []any{
			map[string]any{
				"type":   "host-device",
				"device": nic.Name,
				"ipam": map[string]any{
					"type":      "static",
					"addresses": []any{map[string]any{"address": podAddr4}, map[string]any{"address": podAddr6}},
					"routes":    []any{map[string]any{"dst": routeDst, "gw": routeGW}},
				},
			},
			map[string]any{"type": "tuning", "mtu": podMTU, "dataDir": filepath.Join(dir, "tuning")},
		},
	}
	raw, err := json.Marshal(conf)
	if err != nil {
		tb.Fatal(err)
	}
	list, err := libcni.ConfListFromBytes(raw)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	exec, err := newNetnsExec(n.NodePath)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	tb.Cleanup(exec.close)
	return &cniPath{
		name:    name,
		cni:     libcni.NewCNIConfigWithCacheDir([]string{pluginDir}, filepath.Join(dir, "cache"), exec),
		list:    list,
		podPath: n.PodPath,
	}
}

// runtimeConf is what containerd passes for a pod sandbox (and Multus for a secondary
// network): the sandbox ID, its netns, the interface name and the Kubernetes CNI_ARGS.
func (c *cniPath) runtimeConf(round int) *libcni.RuntimeConf {
	id := fmt.Sprintf("sandbox-%d", round)
	return &libcni.RuntimeConf{
		ContainerID: id,
		NetNS:       c.podPath,
		IfName:      podIfName,
		Args: [][2]string{
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", claimNS},
			{"K8S_POD_NAME", "pod-cni"},
			{"K8S_POD_INFRA_CONTAINER_ID", id},
			{"K8S_POD_UID", "pod-uid-cni"},
		},
	}
}

func (c *cniPath) attach(round int) error {
	_, err := c.cni.AddNetworkList(context.Background(), c.list, c.runtimeConf(round))
	return err
}

func (c *cniPath) detach(round int) error {
	return c.cni.DelNetworkList(context.Background(), c.list, c.runtimeConf(round))
}

// netnsExec is libcni's default plugin executor, run from the node netns. A CNI plugin's
// "host" is the netns it is started in, and the benchmark's host is the simulated node,
// never the machine's own namespace. A child inherits the netns of the thread that forks
// it, so the fork happens on a thread that entered the node netns and leaves it right
// after: two setns calls per plugin exec, as if containerd itself ran in the node netns.
type netnsExec struct {
	*invoke.DefaultExec
	node, self *os.File
}

func newNetnsExec(nodePath string) (*netnsExec, error) {
	node, err := os.Open(nodePath)
	if err != nil {
		return nil, err
	}
	self, err := os.Open("/proc/self/ns/net")
	if err != nil {
		_ = node.Close()
		return nil, err
	}
	return &netnsExec{DefaultExec: &invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}}, node: node, self: self}, nil
}

func (e *netnsExec) close() {
	_ = e.node.Close()
	_ = e.self.Close()
}

// ExecPlugin forks on a thread in the node netns. os/exec forks in the calling goroutine
// (its I/O copying goroutines only move bytes), so the locked thread is the parent. A
// thread that cannot return to the process netns stays locked and dies with the
// goroutine instead of being reused.
func (e *netnsExec) ExecPlugin(ctx context.Context, pluginPath string, stdin []byte, environ []string) ([]byte, error) {
	runtime.LockOSThread()
	if err := unix.Setns(int(e.node.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("entering the node netns to run %s: %w", pluginPath, err)
	}
	out, err := e.DefaultExec.ExecPlugin(ctx, pluginPath, stdin, environ)
	if restoreErr := unix.Setns(int(e.self.Fd()), unix.CLONE_NEWNET); restoreErr != nil {
		return nil, fmt.Errorf("leaving the node netns after %s: %w (plugin error: %v)", pluginPath, restoreErr, err)
	}
	runtime.UnlockOSThread()
	return out, err
}
