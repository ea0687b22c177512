package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	nriapi "github.com/containerd/nri/pkg/api"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/driver"
	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/nri"
	"github.com/netclaim/netclaim/pkg/version"
	"github.com/netclaim/netclaim/test/netnstest"
)

// netclaimPath is netclaim's real node-side path, wired as cmd/netclaim-plugin wires it:
// the kubelet plugin (pkg/driver) prepares a claim as kube-scheduler leaves it, which
// persists the plan in the checkpoint; the runtime's NRI hooks (pkg/nri) then attach and
// detach it. Attach is RunPodSandbox, detach StopPodSandbox (with the empty netns path
// containerd sends), both including their checkpoint writes (fsync of file and directory).
type netclaimPath struct {
	attacher *nri.Plugin
	podUID   string
	podPath  string
}

func newNetclaimPath(tb testing.TB, n *node, nic netnstest.NIC) *netclaimPath {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	store, err := checkpoint.Open(filepath.Join(dir, "state", "checkpoint.json"))
	if err != nil {
		tb.Fatalf("netclaim: %v", err)
	}
	host, err := netdev.OpenHostAt(n.NodePath)
	if err != nil {
		tb.Fatalf("netclaim: %v", err)
	}
	attacher := nri.New(nri.Config{Checkpoint: store, Host: host})
	drv, err := driver.New(driver.Config{
		DriverName: version.DriverName, NodeName: nodeName, Checkpoint: store, CDIDir: filepath.Join(dir, "cdi"),
		Devices:  inventoryOf(nicDevice(nic)),
		Detacher: attacher,
	})
	if err != nil {
		tb.Fatalf("netclaim: %v", err)
	}
	claim := allocatedClaim("attach", nic.Name)
	prepared, err := drv.PrepareResourceClaims(ctx, []*resourceapi.ResourceClaim{claim})
	if err != nil || prepared[claim.UID].Err != nil {
		tb.Fatalf("netclaim: prepare: %v / %v", err, prepared[claim.UID].Err)
	}
	// Unprepare also brings the NIC home if a failed round left it in the pod; then the
	// host can close, before netnstest removes the namespaces.
	tb.Cleanup(func() {
		res, err := drv.UnprepareResourceClaims(ctx, []kubeletplugin.NamespacedObject{{
			NamespacedName: types.NamespacedName{Namespace: claim.Namespace, Name: claim.Name}, UID: claim.UID,
		}})
		if err != nil || res[claim.UID] != nil {
			tb.Errorf("netclaim: unprepare: %v / %v", err, res[claim.UID])
		}
		if err := host.Close(); err != nil {
			tb.Errorf("netclaim: %v", err)
		}
	})
	return &netclaimPath{attacher: attacher, podUID: string(claim.Status.ReservedFor[0].UID), podPath: n.PodPath}
}

// Every round is a new sandbox of the same pod, as when kubelet recreates a sandbox: the
// claim stays prepared, and attach snapshots and persists afresh each time.
func (p *netclaimPath) attach(round int) error {
	return p.attacher.RunPodSandbox(context.Background(), sandbox(round, p.podUID, p.podPath))
}

func (p *netclaimPath) detach(round int) error {
	return p.attacher.StopPodSandbox(context.Background(), sandbox(round, p.podUID, ""))
}

func sandbox(round int, podUID, netnsPath string) *nriapi.PodSandbox {
	pod := &nriapi.PodSandbox{Id: fmt.Sprintf("sandbox-%d", round), Name: "bench-pod", Namespace: claimNS, Uid: podUID,
		Linux: &nriapi.LinuxPodSandbox{}}
	if netnsPath != "" {
		pod.Linux.Namespaces = []*nriapi.LinuxNamespace{{Type: "network", Path: netnsPath}}
	}
	return pod
}
