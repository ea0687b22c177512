package nodeagent

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/containerd/nri/pkg/adaptation"
	nriapi "github.com/containerd/nri/pkg/api"
)

// runtimeName and runtimeVersion are what NRI plugins see in Configure.
const (
	runtimeName    = "netclaim-e2e-nodeagent"
	runtimeVersion = "v0.1.0"
)

// sandboxRuntime is the container runtime's half of NRI: it listens on the NRI socket
// for plugins and relays pod sandbox events to them, through the same adaptation package
// containerd and CRI-O embed (so request timeouts, plugin ordering and the handling of a
// plugin that fails or disconnects are theirs, not ours).
type sandboxRuntime struct {
	nri *adaptation.Adaptation
	// sandboxes lists the pod sandboxes that exist, for plugins that (re)connect.
	sandboxes func() []*nriapi.PodSandbox
}

// newSandboxRuntime prepares the NRI socket at socketPath. Pre-installed plugins are
// looked for in an empty directory under stateDir: the agent must only ever talk to the
// plugin under test, never to executables that happen to sit in /opt/nri/plugins.
func newSandboxRuntime(socketPath, stateDir string, sandboxes func() []*nriapi.PodSandbox) (*sandboxRuntime, error) {
	r := &sandboxRuntime{sandboxes: sandboxes}
	nri, err := adaptation.New(runtimeName, runtimeVersion, r.synchronize, r.updateContainers,
		adaptation.WithSocketPath(socketPath),
		adaptation.WithPluginPath(filepath.Join(stateDir, "nri-plugins")),
		adaptation.WithPluginConfigPath(filepath.Join(stateDir, "nri-conf.d")),
	)
	if err != nil {
		return nil, fmt.Errorf("creating the NRI runtime side: %w", err)
	}
	r.nri = nri
	return r, nil
}

// start listens on the socket; plugins may connect from then on.
func (r *sandboxRuntime) start() error {
	if err := r.nri.Start(); err != nil {
		return fmt.Errorf("starting the NRI runtime side: %w", err)
	}
	return nil
}

// stop closes the socket and every plugin connection; plugins see the runtime go away.
func (r *sandboxRuntime) stop() { r.nri.Stop() }

// synchronize answers a connecting plugin with every sandbox that exists, as containerd
// does from its sandbox store. There are no containers: the agent runs none.
func (r *sandboxRuntime) synchronize(ctx context.Context, sync adaptation.SyncCB) error {
	_, err := sync(ctx, r.sandboxes(), nil)
	return err
}

// updateContainers refuses every unsolicited container update a plugin asks for: the
// agent runs no containers, and returning the updates reports them as failed.
func (r *sandboxRuntime) updateContainers(_ context.Context, updates []*adaptation.ContainerUpdate) ([]*adaptation.ContainerUpdate, error) {
	return updates, nil
}

// blockSync keeps plugins from (re)connecting until the returned func is called.
// containerd holds it across each sandbox event and the store update that follows, so a
// plugin that connects meanwhile is sent a sandbox list that includes the change.
func (r *sandboxRuntime) blockSync() func() { return r.nri.BlockPluginSync().Unblock }

func (r *sandboxRuntime) runPodSandbox(ctx context.Context, pod *nriapi.PodSandbox) error {
	if err := r.nri.RunPodSandbox(ctx, &nriapi.RunPodSandboxRequest{Pod: pod}); err != nil {
		return fmt.Errorf("NRI RunPodSandbox failed: %w", err)
	}
	return nil
}

func (r *sandboxRuntime) stopPodSandbox(ctx context.Context, pod *nriapi.PodSandbox) error {
	if err := r.nri.StopPodSandbox(ctx, &nriapi.StopPodSandboxRequest{Pod: pod}); err != nil {
		return fmt.Errorf("NRI StopPodSandbox failed: %w", err)
	}
	return nil
}

func (r *sandboxRuntime) removePodSandbox(ctx context.Context, pod *nriapi.PodSandbox) error {
	if err := r.nri.RemovePodSandbox(ctx, &nriapi.RemovePodSandboxRequest{Pod: pod}); err != nil {
		return fmt.Errorf("NRI RemovePodSandbox failed: %w", err)
	}
	return nil
}

// nriSandbox describes a recorded sandbox to plugins. withNetns says whether to report
// the netns path: containerd reports it for RunPodSandbox and for ready sandboxes, and an
// empty path in StopPodSandbox and RemovePodSandbox. A hostNetwork pod has no network
// namespace entry at all.
func nriSandbox(rec podRecord, withNetns bool) *nriapi.PodSandbox {
	sb := rec.Sandbox
	pod := &nriapi.PodSandbox{
		Id:          sb.ID,
		Name:        rec.Name,
		Uid:         string(rec.UID),
		Namespace:   rec.Namespace,
		Labels:      sb.Labels,
		Annotations: sb.Annotations,
		Linux:       &nriapi.LinuxPodSandbox{},
	}
	if sb.HostNetwork {
		return pod
	}
	path := ""
	if withNetns {
		path = sb.NetnsPath
	}
	pod.Linux.Namespaces = []*nriapi.LinuxNamespace{{Type: "network", Path: path}}
	return pod
}

// existingSandboxes is the list a (re)connecting plugin gets: every sandbox that was run
// and not yet removed. One still being created is not in it, as in containerd, where it
// enters the store only after RunPodSandbox (blockSync covers that window).
func existingSandboxes(recs []podRecord) []*nriapi.PodSandbox {
	var out []*nriapi.PodSandbox
	for _, rec := range recs {
		if rec.Sandbox == nil || rec.Sandbox.Phase == sandboxCreating {
			continue
		}
		out = append(out, nriSandbox(rec, rec.Sandbox.Phase == sandboxReady))
	}
	return out
}
