package fault

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	nriapi "github.com/containerd/nri/pkg/api"
	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/driver"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/nri"
	"github.com/netclaim/netclaim/test/netnstest"
)

const (
	driverName = "netclaim.dev"
	nodeName   = "node-a"
	claimNs    = "telco"
)

// pluginEnv is everything a plugin process needs to find the node's shared state: the
// same for the test and for the helper processes it kills.
type pluginEnv struct {
	NodePath string
	StateDir string
	CDIDir   string
	Devices  []inventory.Device
}

func (e pluginEnv) checkpointPath() string { return filepath.Join(e.StateDir, "checkpoint.json") }

func (e pluginEnv) device(name string) (inventory.Device, bool) {
	i := slices.IndexFunc(e.Devices, func(d inventory.Device) bool { return d.Name == name })
	if i < 0 {
		return inventory.Device{}, false
	}
	return e.Devices[i], true
}

// plugin is one incarnation of the node daemon's parts, wired as the binary wires them.
type plugin struct {
	drv   *driver.Driver
	nri   *nri.Plugin
	store *checkpoint.Store
	host  *netdev.Host
}

// openPlugin starts a plugin over env's state; hook (nil: none) sees every step boundary
// of prepare, attach, detach and unprepare.
func openPlugin(env pluginEnv, hook func(step string)) (*plugin, error) {
	store, err := checkpoint.Open(env.checkpointPath())
	if err != nil {
		return nil, err
	}
	var opts []netdev.Option
	if hook != nil {
		opts = append(opts, netdev.WithStepHook(func(s netdev.Step) error { hook(string(s)); return nil }))
	}
	host, err := netdev.OpenHostAt(env.NodePath, opts...)
	if err != nil {
		return nil, err
	}
	attacher := nri.New(nri.Config{Checkpoint: store, Host: host, StepHook: hook})
	drv, err := driver.New(driver.Config{
		DriverName: driverName, NodeName: nodeName, Checkpoint: store, CDIDir: env.CDIDir,
		Devices: env.device, Detacher: attacher, StepHook: hook,
	})
	if err != nil {
		return nil, errors.Join(err, host.Close())
	}
	return &plugin{drv: drv, nri: attacher, store: store, host: host}, nil
}

func (p *plugin) close() error { return p.host.Close() }

// prepare runs NodePrepareResources and joins every claim's error.
func (p *plugin) prepare(ctx context.Context, claims []*resourceapi.ResourceClaim) error {
	res, err := p.drv.PrepareResourceClaims(ctx, claims)
	errs := []error{err}
	for _, c := range claims {
		errs = append(errs, res[c.UID].Err)
	}
	return errors.Join(errs...)
}

// unprepare runs NodeUnprepareResources and joins every claim's error.
func (p *plugin) unprepare(ctx context.Context, claims []claimRef) error {
	refs := make([]kubeletplugin.NamespacedObject, len(claims))
	for i, c := range claims {
		refs[i] = kubeletplugin.NamespacedObject{NamespacedName: types.NamespacedName{Namespace: c.Namespace, Name: c.Name}, UID: types.UID(c.UID)}
	}
	res, err := p.drv.UnprepareResourceClaims(ctx, refs)
	errs := []error{err}
	for _, c := range claims {
		errs = append(errs, res[types.UID(c.UID)])
	}
	return errors.Join(errs...)
}

// claimRef names a claim as kubelet's unprepare does.
type claimRef struct{ Namespace, Name, UID string }

func refOf(c *resourceapi.ResourceClaim) claimRef {
	return claimRef{Namespace: c.Namespace, Name: c.Name, UID: string(c.UID)}
}

func refsOf(claims []*resourceapi.ResourceClaim) []claimRef {
	refs := make([]claimRef, len(claims))
	for i, c := range claims {
		refs[i] = refOf(c)
	}
	return refs
}

// sandboxRef is a pod sandbox as the runtime reports it; an empty Netns is a
// hostNetwork pod, or a StopPodSandbox from containerd.
type sandboxRef struct{ ID, PodUID, Netns string }

func (s sandboxRef) pod() *nriapi.PodSandbox {
	pod := &nriapi.PodSandbox{Id: s.ID, Name: "pod-" + s.PodUID, Namespace: claimNs, Uid: s.PodUID, Linux: &nriapi.LinuxPodSandbox{}}
	if s.Netns != "" {
		pod.Linux.Namespaces = []*nriapi.LinuxNamespace{{Type: "network", Path: s.Netns}}
	}
	return pod
}

// stopped is the sandbox as containerd sends StopPodSandbox: without its netns path.
func (s sandboxRef) stopped() sandboxRef { s.Netns = ""; return s }

// deviceConfig is the NetworkConfig one allocated device gets.
type deviceConfig struct {
	Device string
	Config string
}

// claimFor is a claim as kube-scheduler leaves it: one request per device, allocated
// from this node's pool, each with its own NetworkConfig, reserved for podUID.
func claimFor(name, uid, podUID string, devices ...deviceConfig) *resourceapi.ResourceClaim {
	claim := &resourceapi.ResourceClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: claimNs, Name: name, UID: types.UID(uid)},
		Status: resourceapi.ResourceClaimStatus{
			Allocation:  &resourceapi.AllocationResult{},
			ReservedFor: []resourceapi.ResourceClaimConsumerReference{{Resource: "pods", Name: "pod-" + podUID, UID: types.UID(podUID)}},
		},
	}
	alloc := &claim.Status.Allocation.Devices
	for i, d := range devices {
		req := fmt.Sprintf("r%d", i)
		claim.Spec.Devices.Requests = append(claim.Spec.Devices.Requests, resourceapi.DeviceRequest{
			Name: req, Exactly: &resourceapi.ExactDeviceRequest{DeviceClassName: "net"},
		})
		alloc.Results = append(alloc.Results, resourceapi.DeviceRequestAllocationResult{Request: req, Driver: driverName, Pool: nodeName, Device: d.Device})
		if d.Config == "" {
			continue
		}
		alloc.Config = append(alloc.Config, resourceapi.DeviceAllocationConfiguration{
			Source: resourceapi.AllocationConfigSourceClaim, Requests: []string{req},
			DeviceConfiguration: resourceapi.DeviceConfiguration{Opaque: &resourceapi.OpaqueDeviceConfiguration{
				Driver: driverName, Parameters: runtime.RawExtension{Raw: []byte(d.Config)},
			}},
		})
	}
	return claim
}

// node is a simulated node: netnstest's node and pod namespaces, NICs in the node
// namespace, and the plugin's state folders.
type node struct {
	*netnstest.Testbed
	t   *testing.T
	env pluginEnv
}

func newNode(t *testing.T) *node {
	tb := netnstest.New(t)
	dir := t.TempDir()
	return &node{Testbed: tb, t: t, env: pluginEnv{NodePath: tb.NodePath, StateDir: dir + "/state", CDIDir: dir + "/cdi"}}
}

// nic is a device standing in for a NIC: a veth, or a macvlan on a veth parent (which,
// like a VF, moves while its parent stays on the host).
type nic struct {
	Name    string
	MAC     string
	MTU     int
	Macvlan bool
}

func (n *node) addNIC(c nic) {
	spec := netnstest.NIC{Name: c.Name, MAC: c.MAC, MTU: c.MTU, Up: true}
	if c.Macvlan {
		n.AddMacvlanNIC(spec)
	} else {
		n.AddVethNIC(spec)
	}
	n.env.Devices = append(n.env.Devices, inventory.Device{
		Name: c.Name, Kind: inventory.KindNIC, IfName: c.Name, MAC: c.MAC, MTU: c.MTU, Virtual: true, LinkType: inventory.LinkTypeEthernet,
	})
}

// plugin starts a plugin in this process over the node's state, as a restart would.
func (n *node) plugin() *plugin {
	n.t.Helper()
	p, err := openPlugin(n.env, nil)
	if err != nil {
		n.t.Fatalf("starting the plugin: %v", err)
	}
	n.t.Cleanup(func() { _ = p.close() })
	return p
}

// hostState is what must be identical before a pod and after it is gone: every device of
// the node namespace read back over netlink, the CDI folder and the checkpoint's files.
type hostState struct {
	Links      map[string]netnstest.LinkState
	CDIFiles   map[string]string
	Checkpoint string
}

func (n *node) hostState() hostState {
	n.t.Helper()
	st := hostState{Links: map[string]netnstest.LinkState{}, CDIFiles: map[string]string{}}
	for _, name := range n.LinkNames(n.Node) {
		st.Links[name] = n.State(n.Node, name)
	}
	entries, err := os.ReadDir(n.env.CDIDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		n.t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(n.env.CDIDir, e.Name()))
		if err != nil {
			n.t.Fatal(err)
		}
		st.CDIFiles[e.Name()] = string(b)
	}
	// Both slot files: any write at all changes one of them (the generation goes up).
	for _, slot := range []string{".a", ".b"} {
		b, err := os.ReadFile(n.env.checkpointPath() + slot)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			n.t.Fatal(err)
		}
		st.Checkpoint += string(b)
	}
	return st
}

// requireClean checks that the node is back to before (its links as read back then),
// every pod namespace holds only lo, no CDI spec is left and the checkpoint is empty.
// It reports whether everything matched.
func (n *node) requireClean(what string, before hostState, pods ...*podNetns) bool {
	n.t.Helper()
	ok := true
	after := n.hostState()
	if diff := cmp.Diff(before.Links, after.Links); diff != "" {
		n.t.Errorf("%s: node netns devices (-before +after):\n%s", what, diff)
		ok = false
	}
	if len(after.CDIFiles) != 0 {
		n.t.Errorf("%s: CDI specs left behind: %v", what, slices.Sorted(maps.Keys(after.CDIFiles)))
		ok = false
	}
	store, err := checkpoint.Open(n.env.checkpointPath())
	if err != nil {
		n.t.Errorf("%s: reopening the checkpoint: %v", what, err)
		return false
	}
	if left := store.List(); len(left) != 0 {
		n.t.Errorf("%s: checkpoint still holds %d claims", what, len(left))
		ok = false
	}
	for _, p := range pods {
		if names := n.LinkNames(p.handle); !slices.Equal(names, []string{"lo"}) {
			n.t.Errorf("%s: pod netns %s holds %v, want only lo", what, p.path, names)
			ok = false
		}
	}
	return ok
}

// requireUntouched compares everything, files included, with before: for calls that must
// change nothing at all.
func (n *node) requireUntouched(what string, before hostState) {
	n.t.Helper()
	if diff := cmp.Diff(before, n.hostState()); diff != "" {
		n.t.Errorf("%s changed the host (-before +after):\n%s", what, diff)
	}
}

// podNetns is a pod network namespace and a netlink handle in it.
type podNetns struct {
	path   string
	handle *netlink.Handle
}

func (n *node) firstPod() *podNetns { return &podNetns{path: n.PodPath, handle: n.Pod} }

func (n *node) newPod() *podNetns {
	path, h := netnstest.NewPodNetns(n.t)
	return &podNetns{path: path, handle: h}
}
