package fault

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/klog/v2/ktesting"
)

const (
	concurrentDevices = 64
	concurrentClaims  = 100
)

// concurrentPod is one pod of the concurrency test with its claim and netns.
type concurrentPod struct {
	claim   *resourceapi.ResourceClaim
	device  string
	mac     string
	sandbox sandboxRef
	netns   *podNetns
}

// TestConcurrency_100ClaimsOn64DevicesNeverShareADeviceAndAllRestore prepares, attaches
// and detaches 100 claims at once on a node with 64 NICs, each pod in its own netns. The
// first 64 claims get distinct devices; the other 36 are allocated devices of the first
// ones, as a broken scheduler (or a stale allocation) would: of each pair exactly one may
// be prepared. Once the winners' pods are gone the losers are prepared again and must
// succeed. After each wave the node is exactly as before.
func TestConcurrency_100ClaimsOn64DevicesNeverShareADeviceAndAllRestore(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	n := newNode(t)
	var pods []*concurrentPod
	for i := range concurrentDevices {
		c := nic{Name: fmt.Sprintf("n%02d", i), MAC: fmt.Sprintf("02:dd:00:00:00:%02x", i), MTU: 1500}
		n.addNIC(c)
	}
	for i := range concurrentClaims {
		dev := i % concurrentDevices
		podUID := fmt.Sprintf("pod-%03d", i)
		pods = append(pods, &concurrentPod{
			claim: claimFor(fmt.Sprintf("c%03d", i), "claim-"+podUID, podUID, deviceConfig{
				Device: fmt.Sprintf("n%02d", dev),
				Config: netConfig(fmt.Sprintf(`,"addresses":["10.%d.%d.1/16"]`, 10+i/250, i%250)),
			}),
			device:  fmt.Sprintf("n%02d", dev),
			mac:     fmt.Sprintf("02:dd:00:00:00:%02x", dev),
			sandbox: sandboxRef{ID: "sb-" + podUID, PodUID: podUID},
			netns:   n.newPod(),
		})
		pods[i].sandbox.Netns = pods[i].netns.path
	}
	netnsList := make([]*podNetns, len(pods))
	for i, p := range pods {
		netnsList[i] = p.netns
	}
	before := n.hostState()
	daemon := n.plugin() // one daemon; kubelet and the runtime call it concurrently

	// Wave 1: all 100 at once.
	prepareErrs := concurrently(pods, func(p *concurrentPod) error { return daemon.prepare(ctx, []*resourceapi.ResourceClaim{p.claim}) })
	winners, losers := splitByDevice(t, pods, prepareErrs)
	if len(winners) != concurrentDevices || len(losers) != concurrentClaims-concurrentDevices {
		t.Fatalf("prepared %d claims and refused %d, want %d and %d", len(winners), len(losers), concurrentDevices, concurrentClaims-concurrentDevices)
	}
	// Every sandbox starts, while kubelet retries the refused claims.
	var wg sync.WaitGroup
	wg.Go(func() {
		for i, err := range concurrently(losers, func(p *concurrentPod) error { return daemon.prepare(ctx, []*resourceapi.ResourceClaim{p.claim}) }) {
			if err == nil {
				t.Errorf("claim %s was prepared for %s while its owner's pod runs", losers[i].claim.Name, losers[i].device)
			}
		}
	})
	requireNoErrors(t, "RunPodSandbox", pods, concurrently(pods, func(p *concurrentPod) error { return daemon.nri.RunPodSandbox(ctx, p.sandbox.pod()) }))
	wg.Wait()
	requireAttached(t, n, winners, losers)
	runDown(t, ctx, n, daemon, pods, winners)
	n.requireClean("after wave 1", before, netnsList...)

	// Wave 2: the refused claims, now that their devices are free.
	requireNoErrors(t, "prepare again", losers, concurrently(losers, func(p *concurrentPod) error { return daemon.prepare(ctx, []*resourceapi.ResourceClaim{p.claim}) }))
	requireNoErrors(t, "RunPodSandbox", losers, concurrently(losers, func(p *concurrentPod) error { return daemon.nri.RunPodSandbox(ctx, p.sandbox.pod()) }))
	requireAttached(t, n, losers, winners)
	runDown(t, ctx, n, daemon, losers, losers)
	n.requireClean("after wave 2", before, netnsList...)
}

// splitByDevice checks that exactly one claim per device was prepared and that each
// refusal names the claim that holds the device.
func splitByDevice(t *testing.T, pods []*concurrentPod, errs []error) (winners, losers []*concurrentPod) {
	t.Helper()
	owner := map[string]*concurrentPod{}
	for i, p := range pods {
		if errs[i] != nil {
			continue
		}
		if prev, ok := owner[p.device]; ok {
			t.Errorf("device %s prepared for both %s and %s", p.device, prev.claim.Name, p.claim.Name)
		}
		owner[p.device] = p
		winners = append(winners, p)
	}
	for i, p := range pods {
		if errs[i] == nil {
			continue
		}
		losers = append(losers, p)
		holder, ok := owner[p.device]
		if !ok {
			t.Errorf("claim %s refused although nobody holds %s: %v", p.claim.Name, p.device, errs[i])
			continue
		}
		for _, part := range []string{"telco/" + p.claim.Name, p.device, "already prepared for claim telco/" + holder.claim.Name} {
			if !strings.Contains(errs[i].Error(), part) {
				t.Errorf("refusal of %s does not contain %q: %v", p.claim.Name, part, errs[i])
			}
		}
	}
	return winners, losers
}

// requireAttached reads every pod netns back: attached pods hold exactly their own
// device (by MAC) as net1, the others only lo.
func requireAttached(t *testing.T, n *node, attached, idle []*concurrentPod) {
	t.Helper()
	for _, p := range attached {
		if got := n.LinkNames(p.netns.handle); !slices.Equal(got, []string{"lo", "net1"}) {
			t.Errorf("pod of %s holds %v, want lo and net1", p.claim.Name, got)
			continue
		}
		if st := n.State(p.netns.handle, "net1"); st.MAC != p.mac || !st.Up {
			t.Errorf("pod of %s has net1 %+v, want device %s (MAC %s) up", p.claim.Name, st, p.device, p.mac)
		}
	}
	for _, p := range idle {
		if got := n.LinkNames(p.netns.handle); !slices.Equal(got, []string{"lo"}) {
			t.Errorf("pod of %s holds %v, want only lo", p.claim.Name, got)
		}
	}
}

// runDown stops every sandbox of pods and unprepares the claims of prepared, each at once.
func runDown(t *testing.T, ctx context.Context, n *node, daemon *plugin, pods, prepared []*concurrentPod) {
	t.Helper()
	requireNoErrors(t, "StopPodSandbox", pods, concurrently(pods, func(p *concurrentPod) error {
		return daemon.nri.StopPodSandbox(ctx, p.sandbox.stopped().pod())
	}))
	requireNoErrors(t, "unprepare", prepared, concurrently(prepared, func(p *concurrentPod) error {
		return daemon.unprepare(ctx, []claimRef{refOf(p.claim)})
	}))
}

// concurrently runs fn for every pod at once and returns the errors in pod order.
func concurrently(pods []*concurrentPod, fn func(*concurrentPod) error) []error {
	errs := make([]error, len(pods))
	var wg sync.WaitGroup
	for i, p := range pods {
		wg.Go(func() { errs[i] = fn(p) })
	}
	wg.Wait()
	return errs
}

func requireNoErrors(t *testing.T, what string, pods []*concurrentPod, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s for %s: %v", what, pods[i].claim.Name, err)
		}
	}
}
