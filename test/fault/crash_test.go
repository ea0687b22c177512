package fault

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/klog/v2/ktesting"

	"github.com/netclaim/netclaim/pkg/driver"
	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/nri"
)

// crashScenario is a node and the claims of one pod.
type crashScenario struct {
	name string
	nics []nic
	// claims lists, per claim, the indexes of its devices in nics.
	claims [][]int
}

var crashScenarios = []crashScenario{
	{name: "one-veth", nics: []nic{{Name: "ens1f0", MAC: "02:aa:00:00:01:00", MTU: 9000}}, claims: [][]int{{0}}},
	{name: "one-macvlan", nics: []nic{{Name: "ens2v0", MAC: "02:aa:00:00:02:00", MTU: 1500, Macvlan: true}}, claims: [][]int{{0}}},
	{name: "two-devices-one-claim", nics: []nic{
		{Name: "ens1f0", MAC: "02:aa:00:00:03:00", MTU: 9000},
		{Name: "ens2v0", MAC: "02:aa:00:00:03:01", MTU: 1500, Macvlan: true},
	}, claims: [][]int{{0, 1}}},
	{name: "two-claims", nics: []nic{
		{Name: "ens1f0", MAC: "02:aa:00:00:04:00", MTU: 9000},
		{Name: "ens1f1", MAC: "02:aa:00:00:04:01", MTU: 1500},
	}, claims: [][]int{{0}, {1}}},
}

// podInterface is the name device i of a scenario gets in the pod.
func podInterface(i int) string { return fmt.Sprintf("pod%d", i) }

// fullConfig changes everything attach can change: name, MTU, MAC, two addresses and a
// route, so a restore that misses any of it shows in the read-back.
func fullConfig(i int) string {
	return fmt.Sprintf(`{"apiVersion":"netclaim.dev/v1alpha1","kind":"NetworkConfig",
		"interface":{"name":%q,"mtu":1400,"mac":"02:fa:00:00:00:%02x"},
		"addresses":["10.%d.0.10/24","fd00:%d::10/64"],
		"routes":[{"destination":"198.51.%d.0/24","gateway":"10.%d.0.1"}]}`, podInterface(i), i+1, i, i, 100+i, i)
}

func (s crashScenario) claimObjects(podUID string) []*resourceapi.ResourceClaim {
	var claims []*resourceapi.ResourceClaim
	for ci, devs := range s.claims {
		var dcs []deviceConfig
		for _, i := range devs {
			dcs = append(dcs, deviceConfig{Device: s.nics[i].Name, Config: fullConfig(i)})
		}
		claims = append(claims, claimFor(fmt.Sprintf("c%d", ci), fmt.Sprintf("%s-claim-%d", podUID, ci), podUID, dcs...))
	}
	return claims
}

// What the node looks like when the plugin process is started to be killed.
const (
	preFresh    = "fresh"    // nothing prepared
	prePrepared = "prepared" // prepared, no sandbox yet
	preAttached = "attached" // RunPodSandbox done
	preStopped  = "stopped"  // StopPodSandbox done
	// preReturned: attached, then the devices came back to the node renamed devN with
	// their pod MTU and MAC, as the kernel returns physical devices and VFs from a
	// destroyed namespace; detach must restore them in place.
	preReturned = "returned"
)

// What kubelet and the runtime replay after the plugin restarts.
const (
	replayPrepare    = "prepare-again"     // kubelet retries prepare; the pod then runs and stops
	replayPodDeleted = "pod-deleted"       // kubelet gives up on the pod: unprepare only
	replayRun        = "run-again"         // the runtime retries the sandbox hook
	replayNewSandbox = "new-sandbox"       // kubelet starts a new sandbox in a new netns
	replayRemove     = "remove-sandbox"    // RemovePodSandbox follows the failed stop
	replayUnprepare  = "unprepare-again"   // kubelet retries unprepare
	replayUnprepOnly = "unprepare-instead" // no more sandbox events: unprepare restores
)

type crashCase struct {
	pre        string
	op         string
	step       string
	occurrence int
	replay     string
}

func (c crashCase) String() string {
	return fmt.Sprintf("%s/%s@%s#%d/%s", c.pre, c.op, c.step, c.occurrence, c.replay)
}

// cases is every crash point of the scenario times what may be replayed after it.
func (s crashScenario) cases() []crashCase {
	devices, claims := len(s.nics), len(s.claims)
	var out []crashCase
	add := func(pre, op, step string, occurrences int, replays ...string) {
		for occ := 1; occ <= occurrences; occ++ {
			for _, r := range replays {
				out = append(out, crashCase{pre: pre, op: op, step: step, occurrence: occ, replay: r})
			}
		}
	}
	for _, step := range []string{driver.StepPrepareValidated, driver.StepPrepareCDIWritten, driver.StepPrepareCheckpointed} {
		add(preFresh, opPrepare, step, 1, replayPrepare, replayPodDeleted)
	}
	add(prePrepared, opRun, nri.StepAttachSnapshotPersisted, claims, replayRun, replayNewSandbox, replayUnprepOnly)
	for _, step := range []netdev.Step{netdev.AttachMoved, netdev.AttachConfigured, netdev.AttachAddresses, netdev.AttachUp, netdev.AttachRoutes} {
		add(prePrepared, opRun, string(step), devices, replayRun, replayNewSandbox, replayUnprepOnly)
	}
	add(preAttached, opStop, string(netdev.DetachMoved), devices, replayRemove, replayUnprepOnly)
	add(preReturned, opStop, string(netdev.DetachRestored), devices, replayRemove, replayUnprepOnly)
	add(preAttached, opUnprepare, string(netdev.DetachMoved), devices, replayUnprepare)
	add(preAttached, opUnprepare, driver.StepUnprepareDetached, claims, replayUnprepare)
	add(preAttached, opUnprepare, driver.StepUnprepareCDIRemoved, claims, replayUnprepare)
	add(preAttached, opUnprepare, driver.StepUnprepareCheckpointDeleted, 1, replayUnprepare)
	add(preStopped, opUnprepare, driver.StepUnprepareCDIRemoved, claims, replayUnprepare)
	add(preStopped, opUnprepare, driver.StepUnprepareCheckpointDeleted, 1, replayUnprepare)
	return out
}

var (
	crashesInjected atomic.Int64
	crashLeaks      atomic.Int64
)

// TestCrash_KilledPluginRestartsAndHostIsAsBeforeThePod kills a real plugin process with
// SIGKILL at every step boundary of prepare, attach, detach and unprepare, restarts it,
// replays what kubelet and the runtime would, and requires the node to be exactly as
// before the pod after each crash.
func TestCrash_KilledPluginRestartsAndHostIsAsBeforeThePod(t *testing.T) {
	t.Run("scenarios", func(t *testing.T) {
		for _, s := range crashScenarios {
			t.Run(s.name, func(t *testing.T) {
				t.Parallel()
				runCrashScenario(t, s)
			})
		}
	})
	n, leaks := crashesInjected.Load(), crashLeaks.Load()
	if n < 50 && !t.Failed() && !t.Skipped() {
		t.Errorf("only %d crashes injected, want at least 50", n)
	}
	t.Logf("fault: %d crashes injected, %d leaks", n, leaks)
	fmt.Printf("fault: %d crashes injected, %d leaks\n", n, leaks)
}

func runCrashScenario(t *testing.T, s crashScenario) {
	_, ctx := ktesting.NewTestContext(t)
	n := newNode(t)
	for _, c := range s.nics {
		n.addNIC(c)
	}
	pod1, pod2 := n.firstPod(), n.newPod()
	before := n.hostState()
	const podUID = "pod-uid-1"
	claims := s.claimObjects(podUID)
	sb1 := sandboxRef{ID: "sb-1", PodUID: podUID, Netns: pod1.path}
	sb2 := sandboxRef{ID: "sb-2", PodUID: podUID, Netns: pod2.path}
	for _, c := range s.cases() {
		r := crashRun{t: t, ctx: ctx, n: n, s: s, claims: claims, sb1: sb1, sb2: sb2, pod1: pod1, pod2: pod2}
		r.setUp(c.pre)
		if t.Failed() {
			return
		}
		runCrashingPlugin(t, job{Env: n.env, Op: c.op, CrashAt: c.step, Occurrence: c.occurrence, Claims: claims, Sandbox: sb1})
		crashesInjected.Add(1)
		r.replay(c.replay)
		if !n.requireClean(c.String(), before, pod1, pod2) {
			crashLeaks.Add(1)
			return // everything after would fail for the same reason
		}
	}
	t.Logf("%s: %d crashes injected, host restored after each", s.name, len(s.cases()))
}

// crashRun drives one crash case's calls in this process, each through a freshly started
// plugin: that is what a restart is.
type crashRun struct {
	t          *testing.T
	ctx        context.Context
	n          *node
	s          crashScenario
	claims     []*resourceapi.ResourceClaim
	sb1, sb2   sandboxRef
	pod1, pod2 *podNetns
}

func (r *crashRun) call(what string, fn func(p *plugin) error) {
	r.t.Helper()
	p := r.n.plugin()
	if err := fn(p); err != nil {
		r.t.Errorf("%s: %v", what, err)
	}
}

func (r *crashRun) prepare() {
	r.t.Helper()
	r.call("prepare", func(p *plugin) error { return p.prepare(r.ctx, r.claims) })
}

func (r *crashRun) run(sb sandboxRef, pod *podNetns) {
	r.t.Helper()
	r.call("RunPodSandbox "+sb.ID, func(p *plugin) error { return p.nri.RunPodSandbox(r.ctx, sb.pod()) })
	want := []string{"lo"}
	for i := range r.s.nics {
		want = append(want, podInterface(i))
	}
	slices.Sort(want)
	if got := r.n.LinkNames(pod.handle); !slices.Equal(got, want) {
		r.t.Errorf("after RunPodSandbox %s the pod holds %v, want %v", sb.ID, got, want)
	}
}

func (r *crashRun) stop(sb sandboxRef) {
	r.t.Helper()
	r.call("StopPodSandbox "+sb.ID, func(p *plugin) error { return p.nri.StopPodSandbox(r.ctx, sb.stopped().pod()) })
}

func (r *crashRun) remove(sb sandboxRef) {
	r.t.Helper()
	r.call("RemovePodSandbox "+sb.ID, func(p *plugin) error { return p.nri.RemovePodSandbox(r.ctx, sb.stopped().pod()) })
}

func (r *crashRun) unprepare() {
	r.t.Helper()
	r.call("unprepare", func(p *plugin) error { return p.unprepare(r.ctx, refsOf(r.claims)) })
}

func (r *crashRun) setUp(pre string) {
	r.t.Helper()
	switch pre {
	case preFresh:
	case prePrepared:
		r.prepare()
	case preAttached:
		r.prepare()
		r.run(r.sb1, r.pod1)
	case preStopped:
		r.prepare()
		r.run(r.sb1, r.pod1)
		r.stop(r.sb1)
	case preReturned:
		r.prepare()
		r.run(r.sb1, r.pod1)
		for i := range r.s.nics {
			r.returnToNode(podInterface(i), fmt.Sprintf("dev%d", i))
		}
	default:
		r.t.Fatalf("unknown state %q", pre)
	}
}

// returnToNode does what the kernel does to a physical device when its namespace dies:
// back to the initial namespace, renamed devN, keeping MTU and MAC.
func (r *crashRun) returnToNode(podName, nodeName string) {
	r.t.Helper()
	link, err := r.pod1.handle.LinkByName(podName)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.pod1.handle.LinkSetNsFd(link, int(r.n.NodeNetns.Ns)); err != nil {
		r.t.Fatalf("moving %s back to the node: %v", podName, err)
	}
	link, err = r.n.Node.LinkByName(podName)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.n.Node.LinkSetName(link, nodeName); err != nil {
		r.t.Fatalf("renaming %s to %s: %v", podName, nodeName, err)
	}
}

func (r *crashRun) replay(replay string) {
	r.t.Helper()
	switch replay {
	case replayPrepare:
		r.prepare()
		r.run(r.sb1, r.pod1)
		r.stop(r.sb1)
		r.unprepare()
	case replayPodDeleted, replayUnprepOnly, replayUnprepare:
		r.unprepare()
	case replayRun:
		r.run(r.sb1, r.pod1)
		r.stop(r.sb1)
		r.unprepare()
	case replayNewSandbox:
		r.run(r.sb2, r.pod2)
		r.stop(r.sb2)
		r.unprepare()
	case replayRemove:
		r.remove(r.sb1)
		r.unprepare()
	default:
		r.t.Fatalf("unknown replay %q", replay)
	}
}
