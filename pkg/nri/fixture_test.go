package nri

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	nriapi "github.com/containerd/nri/pkg/api"
	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2/ktesting"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/claimstatus"
	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

const (
	driverName = "netclaim.dev"
	poolName   = "node-a"
	claimNs    = "team-a"
	// waitTimeout only keeps a broken writer from hanging the suite; it asserts
	// nothing about speed.
	waitTimeout = 30 * time.Second
)

// fixture is a simulated node running the NRI plugin: netnstest's node and pod
// namespaces, a netdev.Host on the node namespace, a real checkpoint file, and a
// claim status writer over a fake API server. The tests call the plugin's
// handlers directly, as the NRI stub would.
type fixture struct {
	*netnstest.Testbed
	t      *testing.T
	ctx    context.Context
	host   *netdev.Host
	store  *checkpoint.Store
	client *fake.Clientset
	writer *claimstatus.Writer
	plugin *Plugin

	mu sync.Mutex
	// applies counts status applies per claim name.
	applies map[string]int
	// barriers are closed when the writer applies the flush claim they name.
	barriers map[string]chan struct{}
	flushes  int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	tb := netnstest.New(t)
	_, ctx := ktesting.NewTestContext(t)
	f := &fixture{
		Testbed:  tb,
		t:        t,
		ctx:      ctx,
		client:   fake.NewClientset(),
		applies:  map[string]int{},
		barriers: map[string]chan struct{}{},
	}
	f.host = f.openHost()
	f.store = f.openStore(filepath.Join(t.TempDir(), "checkpoint.json"))
	f.client.PrependReactor("get", "resourceclaims", f.recordRead)
	f.client.PrependReactor("update", "resourceclaims", f.recordWrite)
	f.startWriter()
	f.plugin = New(Config{Checkpoint: f.store, Host: f.host, Status: f.writer})
	return f
}

func (f *fixture) openHost() *netdev.Host {
	f.t.Helper()
	host, err := netdev.OpenHostAt(f.NodePath)
	if err != nil {
		f.t.Fatalf("OpenHostAt(%s): %v", f.NodePath, err)
	}
	f.t.Cleanup(func() {
		if err := host.Close(); err != nil {
			f.t.Errorf("closing host: %v", err)
		}
	})
	return host
}

func (f *fixture) openStore(path string) *checkpoint.Store {
	f.t.Helper()
	store, err := checkpoint.Open(path)
	if err != nil {
		f.t.Fatalf("opening checkpoint %s: %v", path, err)
	}
	return store
}

// startWriter runs the status writer with ONE worker, so that updates are applied
// in the order they were queued; flushStatus relies on it.
func (f *fixture) startWriter() {
	f.writer = claimstatus.NewWriter(f.client, driverName)
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() {
		f.writer.Run(ctx, 1)
		close(done)
	}()
	f.t.Cleanup(func() {
		cancel()
		<-done
	})
}

// recordRead releases a flush barrier: the writer starts every update by reading the
// claim, also for the flush markers, which name no existing claim and are never written.
func (f *fixture) recordRead(action k8stesting.Action) (bool, runtime.Object, error) {
	name := action.(k8stesting.GetAction).GetName()
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.barriers[name]; ok {
		close(ch)
		delete(f.barriers, name)
	}
	// Not handled: the fake's object tracker answers.
	return false, nil, nil
}

// recordWrite counts status writes per claim.
func (f *fixture) recordWrite(action k8stesting.Action) (bool, runtime.Object, error) {
	obj, ok := action.(k8stesting.UpdateAction).GetObject().(metav1.Object)
	if ok && action.GetSubresource() == "status" {
		f.mu.Lock()
		f.applies[obj.GetName()]++
		f.mu.Unlock()
	}
	// Not handled: the fake's object tracker stores the update.
	return false, nil, nil
}

func (f *fixture) appliesTo(claimName string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applies[claimName]
}

// flushStatus returns once the writer has applied everything queued before the
// call. The single worker applies in queue order, except that an update for a
// claim that was being applied at that moment is re-queued behind the marker; a
// second marker is behind that one too.
func (f *fixture) flushStatus() {
	f.t.Helper()
	for range 2 {
		f.mu.Lock()
		f.flushes++
		name := fmt.Sprintf("flush-%d", f.flushes)
		ch := make(chan struct{})
		f.barriers[name] = ch
		f.mu.Unlock()
		f.writer.Enqueue(claimstatus.Update{Namespace: "flush", Name: name, UID: "uid-" + name})
		select {
		case <-ch:
		case <-time.After(waitTimeout):
			f.t.Fatalf("the status writer did not apply %s within %v", name, waitTimeout)
		}
	}
}

// testDevice returns the i-th NIC of the simulated node and the plan prepare
// would write for it: a v4 and a v6 address, a route in the main table and one
// in table 100; device 0 also gets the default route, a new MTU and a new MAC,
// the others keep their MAC.
func testDevice(i int) (netnstest.NIC, plan.Device) {
	nic := netnstest.NIC{
		Name: fmt.Sprintf("nic%d", i),
		MAC:  fmt.Sprintf("02:00:00:00:00:%02x", i+1),
		MTU:  1500,
		Up:   true,
	}
	gw4, gw6 := fmt.Sprintf("10.%d.0.1", i+1), fmt.Sprintf("fd00:%d::1", i+1)
	d := plan.Device{
		Request: fmt.Sprintf("nic-%d", i),
		Pool:    poolName,
		Device:  nic.Name,
		Host:    plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC},
		Target:  plan.Interface{Name: fmt.Sprintf("net%d", i+1), MTU: 1400},
		Addresses: []string{
			fmt.Sprintf("10.%d.0.10/24", i+1),
			fmt.Sprintf("fd00:%d::10/64", i+1),
		},
		Routes: []plan.Route{
			{Destination: fmt.Sprintf("10.%d.0.0/16", 100+i), Gateway: gw4},
			{Destination: fmt.Sprintf("10.%d.0.0/16", 200+i), Gateway: gw4, Table: 100},
			{Destination: fmt.Sprintf("fd00:%d::/64", 100+i), Gateway: gw6},
		},
	}
	if i == 0 {
		d.Target = plan.Interface{Name: "net1", MTU: 9000, HardwareAddr: "02:aa:00:00:00:01"}
		d.Routes = append(d.Routes, plan.Route{Gateway: gw4})
	}
	return nic, d
}

// podState is what the kernel must show for d in the pod after attach.
func podState(nic netnstest.NIC, d plan.Device) netnstest.LinkState {
	st := netnstest.LinkState{Name: d.Target.Name, MTU: d.Target.MTU, MAC: d.Target.HardwareAddr, Up: true}
	if st.MAC == "" {
		st.MAC = nic.MAC
	}
	st.Addresses = slices.Sorted(slices.Values(d.Addresses))
	for _, r := range d.Routes {
		s := r.Destination
		if s == "" {
			s = "default"
		}
		if r.Gateway != "" {
			s += " via " + r.Gateway
		}
		if r.Table != 0 {
			s += fmt.Sprintf(" table %d", r.Table)
		}
		st.Routes = append(st.Routes, s)
	}
	slices.Sort(st.Routes)
	return st
}

// wantReady is the status.devices entry the plugin must write for d.
func wantReady(nic netnstest.NIC, d plan.Device) deviceStatus {
	mac := d.Target.HardwareAddr
	if mac == "" {
		mac = nic.MAC
	}
	return deviceStatus{
		Driver: driverName, Pool: d.Pool, Device: d.Device,
		InterfaceName: d.Target.Name, IPs: d.Addresses, HardwareAddress: mac,
		Ready: metav1.ConditionTrue,
	}
}

// newClaim is a claim as prepare writes it to the checkpoint, reserved for podUID.
func newClaim(name, podUID string, devices ...plan.Device) plan.Claim {
	return plan.Claim{
		UID: "uid-" + name, Namespace: claimNs, Name: name,
		PodUID:  podUID,
		Devices: devices,
	}
}

// seed stores claims in the checkpoint, as NodePrepareResources would, and creates
// them in the API server.
func (f *fixture) seed(claims ...plan.Claim) {
	f.t.Helper()
	if err := f.store.Put(claims...); err != nil {
		f.t.Fatalf("seeding checkpoint: %v", err)
	}
	for _, c := range claims {
		obj := &resourceapi.ResourceClaim{
			ObjectMeta: metav1.ObjectMeta{Name: c.Name, Namespace: c.Namespace, UID: types.UID(c.UID)},
			Status:     resourceapi.ResourceClaimStatus{Allocation: allocationOf(c)},
		}
		if _, err := f.client.ResourceV1().ResourceClaims(c.Namespace).Create(f.ctx, obj, metav1.CreateOptions{}); err != nil {
			f.t.Fatalf("creating claim %s: %v", c.Name, err)
		}
	}
}

// allocationOf is the allocation kube-scheduler made for c's devices.
func allocationOf(c plan.Claim) *resourceapi.AllocationResult {
	a := &resourceapi.AllocationResult{}
	for _, d := range c.Devices {
		a.Devices.Results = append(a.Devices.Results, resourceapi.DeviceRequestAllocationResult{
			Request: d.Request, Driver: driverName, Pool: d.Pool, Device: d.Device,
		})
	}
	return a
}

// addNICs adds veths for nics to the node.
func (f *fixture) addNICs(nics ...netnstest.NIC) {
	f.t.Helper()
	for _, nic := range nics {
		f.AddVethNIC(nic)
	}
}

// sandbox is the PodSandbox containerd sends to RunPodSandbox; an empty netnsPath
// gives a pod without a network namespace entry (hostNetwork).
func sandbox(id, podUID, netnsPath string) *nriapi.PodSandbox {
	pod := &nriapi.PodSandbox{
		Id: id, Uid: podUID, Name: "pod-" + podUID, Namespace: claimNs,
		Linux: &nriapi.LinuxPodSandbox{Namespaces: []*nriapi.LinuxNamespace{
			{Type: "ipc"}, {Type: "uts"},
		}},
	}
	if netnsPath != "" {
		pod.Linux.Namespaces = append(pod.Linux.Namespaces, &nriapi.LinuxNamespace{Type: "network", Path: netnsPath})
	}
	return pod
}

// stopEvent is the same sandbox as containerd sends it to StopPodSandbox and
// RemovePodSandbox: with an empty network namespace path.
func stopEvent(pod *nriapi.PodSandbox) *nriapi.PodSandbox {
	return sandbox(pod.GetId(), pod.GetUid(), "")
}

// nodeSnapshot is the node's devices and their state, to compare before and after.
type nodeSnapshot struct {
	Links  []string
	States map[string]netnstest.LinkState
}

func (f *fixture) snapshotNode(names ...string) nodeSnapshot {
	f.t.Helper()
	s := nodeSnapshot{Links: f.LinkNames(f.Node), States: map[string]netnstest.LinkState{}}
	for _, n := range names {
		s.States[n] = f.State(f.Node, n)
	}
	return s
}

func (f *fixture) requireNode(want nodeSnapshot) {
	f.t.Helper()
	names := make([]string, 0, len(want.States))
	for n := range want.States {
		names = append(names, n)
	}
	if diff := cmp.Diff(want, f.snapshotNode(names...)); diff != "" {
		f.t.Errorf("node netns (-want +got):\n%s", diff)
	}
}

// originalOf is the Original the plugin must persist for nic, read from the node.
func (f *fixture) originalOf(nic netnstest.NIC) plan.Original {
	return plan.Original{Name: nic.Name, MTU: nic.MTU, HardwareAddr: nic.MAC, Up: nic.Up}
}

// requireAttachment checks the claim's Attachment in the running plugin's store
// and in the file, as a restarted plugin would read it.
func (f *fixture) requireAttachment(claimUID string, want *plan.Attachment) {
	f.t.Helper()
	c, ok := f.store.Get(claimUID)
	if !ok {
		f.t.Fatalf("claim %s is not in the checkpoint", claimUID)
	}
	if diff := cmp.Diff(want, c.Attachment); diff != "" {
		f.t.Errorf("attachment of claim %s in the store (-want +got):\n%s", claimUID, diff)
	}
	reopened := f.openStore(f.store.Path())
	c, ok = reopened.Get(claimUID)
	if !ok {
		f.t.Fatalf("claim %s is not in the checkpoint file", claimUID)
	}
	if diff := cmp.Diff(want, c.Attachment); diff != "" {
		f.t.Errorf("attachment of claim %s in the checkpoint file (-want +got):\n%s", claimUID, diff)
	}
}

// deviceStatus is the part of a status.devices entry the plugin decides.
type deviceStatus struct {
	Driver, Pool, Device string
	InterfaceName        string
	IPs                  []string
	HardwareAddress      string
	Ready                metav1.ConditionStatus
}

func (f *fixture) claimStatus(c plan.Claim) []deviceStatus {
	f.t.Helper()
	obj, err := f.client.ResourceV1().ResourceClaims(c.Namespace).Get(f.ctx, c.Name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatalf("getting claim %s: %v", c.Name, err)
	}
	var out []deviceStatus
	for _, d := range obj.Status.Devices {
		s := deviceStatus{Driver: d.Driver, Pool: d.Pool, Device: d.Device}
		if d.NetworkData != nil {
			s.InterfaceName, s.IPs, s.HardwareAddress = d.NetworkData.InterfaceName, d.NetworkData.IPs, d.NetworkData.HardwareAddress
		}
		for _, cond := range d.Conditions {
			if cond.Type == claimstatus.ConditionReady {
				s.Ready = cond.Status
			}
		}
		out = append(out, s)
	}
	return out
}

// waitStatus polls the API server until the claim's status.devices is want (nil:
// no entries): the writer applies asynchronously.
func (f *fixture) waitStatus(c plan.Claim, want []deviceStatus) {
	f.t.Helper()
	var got []deviceStatus
	err := wait.PollUntilContextTimeout(f.ctx, 5*time.Millisecond, waitTimeout, true, func(context.Context) (bool, error) {
		got = f.claimStatus(c)
		return cmp.Equal(want, got), nil
	})
	if err != nil {
		f.t.Fatalf("status.devices of claim %s never became as wanted (-want +last seen):\n%s", c.Name, cmp.Diff(want, got))
	}
}

// requireNoStatusWrites checks that the writer applied nothing to the claims since
// before was taken (see appliesTo), after letting it drain.
func (f *fixture) requireNoStatusWrites(before map[string]int) {
	f.t.Helper()
	f.flushStatus()
	for name, n := range before {
		if got := f.appliesTo(name); got != n {
			f.t.Errorf("claim %s: %d status writes, want none", name, got-n)
		}
	}
}

func (f *fixture) countApplies(claims ...plan.Claim) map[string]int {
	out := map[string]int{}
	for _, c := range claims {
		out[c.Name] = f.appliesTo(c.Name)
	}
	return out
}

func (f *fixture) requireCheckpoint(want ...plan.Claim) {
	f.t.Helper()
	if diff := cmp.Diff(want, f.store.List()); diff != "" {
		f.t.Errorf("checkpoint (-want +got):\n%s", diff)
	}
}
