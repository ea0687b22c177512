package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	nriapi "github.com/containerd/nri/pkg/api"
	"github.com/containerd/nri/pkg/stub"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"
)

// journal records, in order, the calls the agent made to the plugins under test.
type journal struct {
	mu      sync.Mutex
	entries []string
}

func (j *journal) add(format string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, fmt.Sprintf(format, args...))
}

// take returns the entries recorded since the last take.
func (j *journal) take() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := j.entries
	j.entries = nil
	return out
}

// fakeDriver is a DRA kubelet plugin that prepares nothing but records the calls.
type fakeDriver struct {
	name string
	log  *journal

	mu sync.Mutex
	// failPrepare makes prepare fail for a claim UID with this message.
	failPrepare map[types.UID]string
}

func (d *fakeDriver) failPrepareOf(uid types.UID, msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failPrepare[uid] = msg
}

func (d *fakeDriver) PrepareResourceClaims(_ context.Context, claims []*resourceapi.ResourceClaim) (map[types.UID]kubeletplugin.PrepareResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[types.UID]kubeletplugin.PrepareResult{}
	for _, c := range claims {
		d.log.add("%s: prepare %s/%s", d.name, c.Namespace, c.Name)
		if msg, ok := d.failPrepare[c.UID]; ok {
			out[c.UID] = kubeletplugin.PrepareResult{Err: errors.New(msg)}
			continue
		}
		out[c.UID] = kubeletplugin.PrepareResult{Devices: []kubeletplugin.Device{{Requests: []string{"nic"}, PoolName: testNode, DeviceName: "dev-a"}}}
	}
	return out, nil
}

func (d *fakeDriver) UnprepareResourceClaims(_ context.Context, claims []kubeletplugin.NamespacedObject) (map[types.UID]error, error) {
	out := map[types.UID]error{}
	for _, c := range claims {
		d.log.add("%s: unprepare %s/%s", d.name, c.Namespace, c.Name)
		out[c.UID] = nil
	}
	return out, nil
}

func (d *fakeDriver) HandleError(context.Context, error, string) {}

func (d *fakeDriver) WatchHealthStatus(context.Context, chan<- kubeletplugin.DeviceHealthReport) error {
	return kubeletplugin.ErrHealthNotSupported
}

// startFakeDriver serves a fake driver named driverName the way netclaim-plugin does:
// through kubeletplugin, with its registration socket in the agent's registrar directory.
func startFakeDriver(t *testing.T, ctx context.Context, cfg Config, driverName, instance string, log *journal) (*fakeDriver, *kubeletplugin.Helper) {
	t.Helper()
	dataDir := filepath.Join(cfg.PluginsDir, driverName)
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		t.Fatal(err)
	}
	drv := &fakeDriver{name: instance, log: log, failPrepare: map[types.UID]string{}}
	helper, err := kubeletplugin.Start(ctx, drv,
		kubeletplugin.DriverName(driverName),
		kubeletplugin.NodeName(testNode),
		kubeletplugin.KubeClient(cfg.Client),
		kubeletplugin.RegistrarDirectoryPath(cfg.RegistrarDir),
		kubeletplugin.PluginDataDirectoryPath(dataDir),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(helper.Stop)
	return drv, helper
}

// nriRecorder is an NRI plugin that records pod sandbox events, and what it found in
// the pod's network namespace, the way netclaim's plugin would see them.
type nriRecorder struct {
	log    *journal
	synced chan []*nriapi.PodSandbox

	mu sync.Mutex
	// failRun makes RunPodSandbox fail for the pod with this name.
	failRun string
}

func (r *nriRecorder) failRunOf(podName string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failRun = podName
}

func (r *nriRecorder) Synchronize(_ context.Context, pods []*nriapi.PodSandbox, _ []*nriapi.Container) ([]*nriapi.ContainerUpdate, error) {
	r.synced <- pods
	return nil, nil
}

func (r *nriRecorder) RunPodSandbox(_ context.Context, pod *nriapi.PodSandbox) error {
	path := sandboxNetns(pod)
	r.log.add("nri: RunPodSandbox %s/%s %s netns=%s lo=%s", pod.Namespace, pod.Name, pod.Id, path, loopbackState(path))
	r.mu.Lock()
	defer r.mu.Unlock()
	if pod.Name == r.failRun {
		return errors.New("moving nic0 into the pod: device busy")
	}
	return nil
}

func (r *nriRecorder) StopPodSandbox(_ context.Context, pod *nriapi.PodSandbox) error {
	r.log.add("nri: StopPodSandbox %s/%s %s netns=%s", pod.Namespace, pod.Name, pod.Id, sandboxNetns(pod))
	return nil
}

func (r *nriRecorder) RemovePodSandbox(_ context.Context, pod *nriapi.PodSandbox) error {
	r.log.add("nri: RemovePodSandbox %s/%s %s netns=%s", pod.Namespace, pod.Name, pod.Id, sandboxNetns(pod))
	return nil
}

func sandboxNetns(pod *nriapi.PodSandbox) string {
	for _, ns := range pod.GetLinux().GetNamespaces() {
		if ns.GetType() == "network" {
			return ns.GetPath()
		}
	}
	return "<none>"
}

// loopbackState reads lo in the namespace at path back from the kernel.
func loopbackState(path string) string {
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return "no-netns"
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return "no-netlink"
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return "missing"
	}
	if lo.Attrs().Flags&unix.IFF_UP != 0 {
		return "up"
	}
	return "down"
}

// connectRecorder connects an NRI recorder to the agent's runtime side and returns once
// the runtime has it in its plugin list.
func connectRecorder(t *testing.T, ctx context.Context, a *Agent, log *journal) (*nriRecorder, []*nriapi.PodSandbox) {
	t.Helper()
	rec := &nriRecorder{log: log, synced: make(chan []*nriapi.PodSandbox, 1)}
	s, err := stub.New(rec, stub.WithPluginName("recorder"), stub.WithPluginIdx("50"), stub.WithSocketPath(a.cfg.NRISocket))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	var synced []*nriapi.PodSandbox
	select {
	case synced = <-rec.synced:
	case <-ctx.Done():
		t.Fatalf("the NRI recorder was never synchronized: %v", ctx.Err())
	}
	// The runtime adds the plugin to its list after the sync and only then lets a
	// BlockPluginSync through.
	a.runtime.blockSync()()
	return rec, synced
}

// testDirs lays out one simulated node under a short directory: unix socket paths must
// stay under 108 bytes, which t.TempDir's long names may not.
func testDirs(t *testing.T, client kubernetes.Interface, events record.EventRecorder) Config {
	t.Helper()
	base, err := os.MkdirTemp("", "nodeagent-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	return Config{
		NodeName:     testNode,
		DriverName:   testDriver,
		Client:       client,
		Recorder:     events,
		RegistrarDir: filepath.Join(base, "plugins_registry"),
		PluginsDir:   filepath.Join(base, "plugins"),
		NRISocket:    filepath.Join(base, "nri.sock"),
		NetnsPrefix:  fmt.Sprintf("nc-at-%d-%d-", os.Getpid(), netnsSeq.Add(1)),
		StateDir:     filepath.Join(base, "state"),
	}
}

// cleanupPodNetns removes the pod namespaces a test left (pods it did not tear down).
func cleanupPodNetns(t *testing.T, prefix string) {
	t.Cleanup(func() {
		left, err := filepath.Glob(filepath.Join(netnsDir, prefix+"*"))
		if err != nil {
			t.Error(err)
		}
		for _, path := range left {
			if err := deletePodNetns(filepath.Base(path)); err != nil {
				t.Error(err)
			}
		}
	})
}

// startAgent starts the agent's registration and NRI runtime sides (not its pod
// controller: tests call reconcile themselves) and waits until the driver is registered.
func startAgent(t *testing.T, ctx context.Context, cfg Config) *Agent {
	t.Helper()
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.runtime.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.runtime.stop)
	a.plugins.reconcile(ctx)
	if _, err := a.plugins.client(cfg.DriverName); err != nil {
		t.Fatal(err)
	}
	return a
}

// testNodeEnv is one simulated node: the agent, a fake DRA driver and an NRI recorder.
type testNodeEnv struct {
	cfg    Config
	client *fake.Clientset
	events *record.FakeRecorder
	log    *journal
	driver *fakeDriver
	agent  *Agent
	nri    *nriRecorder
}

func startTestNode(t *testing.T, ctx context.Context, objs ...runtime.Object) *testNodeEnv {
	t.Helper()
	requireRoot(t)
	env := &testNodeEnv{client: fake.NewClientset(objs...), events: record.NewFakeRecorder(10), log: &journal{}}
	env.cfg = testDirs(t, env.client, env.events)
	cleanupPodNetns(t, env.cfg.NetnsPrefix)
	if err := os.MkdirAll(env.cfg.RegistrarDir, 0o750); err != nil {
		t.Fatal(err)
	}
	env.driver, _ = startFakeDriver(t, ctx, env.cfg, testDriver, "driver", env.log)
	env.agent = startAgent(t, ctx, env.cfg)
	env.nri, _ = connectRecorder(t, ctx, env.agent, env.log)
	return env
}
