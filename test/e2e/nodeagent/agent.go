// Package nodeagent stands in for kubelet and the container runtime on a simulated node
// of the e2e cluster. It speaks the real protocols to the driver under test: the kubelet
// plugin registration handshake and the DRA gRPC API (k8s.io/kubelet), and the runtime
// side of NRI (github.com/containerd/nri/pkg/adaptation, as embedded in containerd). A
// pod's "sandbox" is a network namespace and its containers run nothing; everything the
// driver does to the pod's network is real.
//
// It is test infrastructure, not product: it serves one DRA driver and one node.
package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	nriapi "github.com/containerd/nri/pkg/api"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
)

// DefaultNetnsPrefix starts the name of every pod network namespace the agent creates.
const DefaultNetnsPrefix = "nc-pod-"

// Config describes the node the agent runs.
type Config struct {
	NodeName string
	// DriverName is the one DRA driver served (claims of other drivers are not prepared).
	DriverName string
	Client     kubernetes.Interface
	// Recorder emits pod events (kubelet's reasons and wording).
	Recorder record.EventRecorder
	// RegistrarDir is kubelet's plugins_registry: plugins put registration sockets here.
	RegistrarDir string
	// PluginsDir is kubelet's plugins directory, where DRA drivers put their sockets.
	PluginsDir string
	// NRISocket is where the agent listens for NRI plugins.
	NRISocket string
	// NetnsPrefix starts pod network namespace names (DefaultNetnsPrefix when empty).
	NetnsPrefix string
	// StateDir holds the record of pods, sandboxes and prepared claims.
	StateDir string
}

// Agent runs the pods bound to one node.
type Agent struct {
	cfg     Config
	store   *stateStore
	plugins *pluginRegistry
	runtime *sandboxRuntime
	// hostIP is reported as the pods' host IP (the Node's InternalIP, if it has one).
	hostIP string
}

// New checks cfg, creates the directories kubelet would, and loads the agent's state.
func New(cfg Config) (*Agent, error) {
	if cfg.NetnsPrefix == "" {
		cfg.NetnsPrefix = DefaultNetnsPrefix
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	for _, dir := range []string{cfg.RegistrarDir, cfg.PluginsDir} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("creating kubelet directory: %w", err)
		}
	}
	store, err := openState(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, store: store, plugins: newPluginRegistry(cfg.RegistrarDir, cfg.DriverName)}
	a.runtime, err = newSandboxRuntime(cfg.NRISocket, cfg.StateDir, func() []*nriapi.PodSandbox {
		return existingSandboxes(store.list())
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (c Config) validate() error {
	var errs []error
	for _, field := range []struct{ what, value string }{
		{"node name", c.NodeName}, {"driver name", c.DriverName}, {"registrar directory", c.RegistrarDir},
		{"plugins directory", c.PluginsDir}, {"NRI socket", c.NRISocket}, {"state directory", c.StateDir},
	} {
		if field.value == "" {
			errs = append(errs, fmt.Errorf("the %s is required", field.what))
		}
	}
	if c.Client == nil {
		errs = append(errs, errors.New("a Kubernetes client is required"))
	}
	if c.Recorder == nil {
		errs = append(errs, errors.New("an event recorder is required"))
	}
	return errors.Join(errs...)
}

// Run serves until ctx ends. Pods are left as they are on the way out (a kubelet that
// stops does not stop its pods); the state directory lets the next agent carry on.
func (a *Agent) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	a.hostIP = a.lookupHostIP(ctx)
	if err := a.runtime.start(); err != nil {
		return err
	}
	defer a.runtime.stop()

	// The registry outlives the pod workers: work in flight when ctx ends may still need
	// to unprepare.
	registryCtx, stopRegistry := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.plugins.run(registryCtx); err != nil {
			logger.Error(err, "Plugin registration watcher stopped")
		}
	})
	defer wg.Wait()
	defer stopRegistry()

	logger.Info("Node agent running", "node", a.cfg.NodeName, "driver", a.cfg.DriverName,
		"registrarDir", a.cfg.RegistrarDir, "nriSocket", a.cfg.NRISocket, "knownPods", len(a.store.list()))
	return a.runPodController(ctx)
}

// lookupHostIP reads the Node's InternalIP. The node may not exist yet or have no
// address; pods then report no host IP, which nothing in the e2e suite needs.
func (a *Agent) lookupHostIP(ctx context.Context) string {
	node, err := a.cfg.Client.CoreV1().Nodes().Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
	if err != nil {
		klog.FromContext(ctx).Info("Reading the Node failed; pods get no host IP", "node", a.cfg.NodeName, "err", err)
		return ""
	}
	for _, addr := range node.Status.Addresses {
		if addr.Type == corev1.NodeInternalIP {
			return addr.Address
		}
	}
	return ""
}
