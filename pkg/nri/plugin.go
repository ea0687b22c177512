// Package nri attaches prepared devices to pods from the container runtime's NRI hooks.
//
// NodePrepareResources runs before the pod sandbox exists, so the move into the pod's
// network namespace happens here, in RunPodSandbox, which containerd and CRI-O call after
// the primary CNI has set up eth0 and before any container starts. The hook only executes
// the plan prepare persisted; it never goes back to the API server (containerd gives it 2 s).
package nri

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	nriapi "github.com/containerd/nri/pkg/api"
	"github.com/containerd/nri/pkg/stub"
	"k8s.io/klog/v2"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/claimstatus"
	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/plan"
)

// Config wires the plugin to the rest of the node daemon.
type Config struct {
	// PluginName and PluginIndex register the plugin with the runtime ("netclaim", "10").
	PluginName  string
	PluginIndex string
	// SocketPath is the runtime's NRI socket; empty means the NRI default.
	SocketPath string
	Checkpoint *checkpoint.Store
	Host       *netdev.Host
	// Status receives claim status updates; nil disables them.
	Status *claimstatus.Writer
	// Metadata, when set, receives every claim once its devices are attached, to write the
	// interfaces' network data into the claim's device metadata files (KEP-5304).
	Metadata MetadataUpdater
	// StepHook, when set, is called after StepAttachSnapshotPersisted. It exists only for
	// fault-injection tests, which kill the process there (netdev.WithStepHook covers the
	// steps inside attach and detach); leave it nil.
	StepHook func(step string)
}

// MetadataUpdater writes an attached claim's network data where containers read it.
// pkg/driver implements it over the kubelet plugin helper.
type MetadataUpdater interface {
	UpdateMetadata(ctx context.Context, c plan.Claim) error
}

// StepAttachSnapshotPersisted: the devices' original state is in the checkpoint and none
// has moved yet.
const StepAttachSnapshotPersisted = "attach/snapshot-persisted"

// Plugin handles pod sandbox events. Its handlers are safe to call directly (tests do)
// as well as from the NRI stub.
type Plugin struct {
	cfg Config
	// podLocks serialise attach and detach of the same pod (StopPodSandbox can race with
	// kubelet's unprepare); different pods proceed in parallel, the kernel serialises
	// the netns moves under RTNL anyway.
	podLocks [64]sync.Mutex
}

// New returns a Plugin; it does not connect to the runtime until Run.
func New(cfg Config) *Plugin {
	if cfg.PluginName == "" {
		cfg.PluginName = "netclaim"
	}
	if cfg.PluginIndex == "" {
		cfg.PluginIndex = "10"
	}
	return &Plugin{cfg: cfg}
}

// Run connects to the runtime and serves events until ctx ends, reconnecting when the
// runtime restarts (the stub returns when its connection closes).
func (p *Plugin) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	for {
		err := p.serveOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		logger.Error(err, "NRI connection ended, reconnecting", "socket", p.cfg.SocketPath)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

func (p *Plugin) serveOnce(ctx context.Context) error {
	opts := []stub.Option{stub.WithPluginName(p.cfg.PluginName), stub.WithPluginIdx(p.cfg.PluginIndex)}
	if p.cfg.SocketPath != "" {
		opts = append(opts, stub.WithSocketPath(p.cfg.SocketPath))
	}
	s, err := stub.New(p, opts...)
	if err != nil {
		return fmt.Errorf("creating NRI stub: %w", err)
	}
	return s.Run(ctx)
}

func (p *Plugin) lockPod(podUID string) func() {
	h := fnv.New32a()
	h.Write([]byte(podUID))
	m := &p.podLocks[h.Sum32()%uint32(len(p.podLocks))]
	m.Lock()
	return m.Unlock
}

// Synchronize runs when the plugin (re)connects: sandboxes that vanished while the plugin
// was away get their devices restored now instead of waiting for unprepare.
func (p *Plugin) Synchronize(ctx context.Context, pods []*nriapi.PodSandbox, _ []*nriapi.Container) ([]*nriapi.ContainerUpdate, error) {
	live := make(map[string]bool, len(pods))
	for _, pod := range pods {
		live[pod.GetId()] = true
	}
	for _, c := range p.cfg.Checkpoint.List() {
		if c.Attachment == nil || live[c.Attachment.SandboxID] {
			continue
		}
		if err := p.detachVanished(ctx, c.UID, c.PodUID, c.Attachment.SandboxID); err != nil {
			klog.FromContext(ctx).Error(err, "Restoring devices of a vanished sandbox failed; unprepare will retry")
		}
	}
	return nil, nil
}

// detachVanished restores a claim only if, under the pod lock, it is still attached to the
// sandbox that vanished: a RunPodSandbox racing with Synchronize may have moved it to a
// new, live sandbox in the meantime.
func (p *Plugin) detachVanished(ctx context.Context, claimUID, podUID, sandboxID string) error {
	defer p.lockPod(podUID)()
	c, ok := p.cfg.Checkpoint.Get(claimUID)
	if !ok || c.Attachment == nil || c.Attachment.SandboxID != sandboxID {
		return nil
	}
	return p.detachClaim(ctx, c)
}
