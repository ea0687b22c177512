package suite

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/netclaim/netclaim/test/e2e/e2eutil"
)

// scalePods is the number of pods, one VF each; the three default nodes publish 30 VFs.
const scalePods = 30

// 30 pods with a VF each, started at once across the nodes: all run, no device is handed
// out twice, each pod's namespace holds its VF; after they are deleted every node has all
// its interfaces back. Logs the median time from "claim allocated" (seen by a watch) to
// "interface configured" (when the plugin's RunPodSandbox returned, per the node agent),
// and appends it to the results file.
func TestThirtyPods_EachVFOnceAllReturned(t *testing.T) {
	c := localCluster(t)
	if n := countVFs(t, c); n < scalePods {
		t.Fatalf("the nodes publish %d VFs; this test needs %d (the 3 default nodes have 30)", n, scalePods)
	}
	ns := newNamespace(t, c)
	class := e2eutil.CreateClass(t, c.client, e2eutil.DeviceClass(ns+"-vf", celVF))
	e2eutil.CreateTemplate(t, c.client, e2eutil.ClaimTemplate(ns, "vf", claimSpec([]resourceapi.DeviceRequest{request("net", class.Name)}, nil)))
	before := nodeLinks(t, c)
	seen := watchAllocations(t, c, ns)

	for i := range scalePods {
		e2eutil.CreatePod(t, c.client, pod(ns, fmt.Sprintf("app-%02d", i), podClaim("net", "vf", true)))
	}
	owner := map[deviceKey]string{}
	var latencies []time.Duration
	for i := range scalePods {
		name := fmt.Sprintf("app-%02d", i)
		p := waitPodRunning(t, c, ns, name, scaledTimeout)
		claim := waitClaimStatus(t, c, ns, e2eutil.PodResourceClaim(t, c.client, p, "net").Name)
		dev := allocated(t, c, claim)["net"]
		if other, dup := owner[dev.deviceKey]; dup {
			t.Errorf("%s is allocated to both %s and %s", dev, other, name)
		}
		owner[dev.deviceKey] = name
		// No config: the VF keeps its MTU and gets the driver's default name.
		requireAttached(t, p, claim, dev, wantInterface{Name: "net1", MTU: int(dev.int(attrMTU))})

		configured, err := time.Parse(time.RFC3339Nano, p.Annotations["e2e.netclaim.dev/configured-at"])
		if err != nil {
			t.Errorf("pod %s: configured-at annotation: %v", name, err)
			continue
		}
		if at, ok := seen.at(claim.Name); ok {
			latencies = append(latencies, configured.Sub(at))
		}
	}
	t.Logf("%d pods on %d devices of %d nodes", scalePods, len(owner), len(c.nodes))
	reportLatency(t, c, latencies)

	for i := range scalePods {
		err := c.client.CoreV1().Pods(ns).Delete(context.Background(), fmt.Sprintf("app-%02d", i), metav1.DeleteOptions{})
		if err != nil {
			t.Fatalf("deleting pod app-%02d: %v", i, err)
		}
	}
	poll(t, "all pods gone", scaledTimeout, func(ctx context.Context) (bool, error) {
		pods, err := c.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		return err == nil && len(pods.Items) == 0, err
	})
	if diff := cmp.Diff(before, nodeLinks(t, c)); diff != "" {
		t.Errorf("node interfaces after all pods were deleted differ from before (-before +after):\n%s", diff)
	}
	for _, node := range c.nodes {
		requireNodeClean(t, c, node)
	}
}

// allocations records when the suite first saw each claim of a namespace allocated.
type allocations struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (a *allocations) at(claim string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.seen[claim]
	return t, ok
}

// watchAllocations starts an informer on the namespace's claims. The API's
// allocationTimestamp has whole seconds only, too coarse for a step that takes tens of
// milliseconds; the watch event is the closest finer-grained moment outside the scheduler.
func watchAllocations(t *testing.T, c *cluster, ns string) *allocations {
	t.Helper()
	a := &allocations{seen: map[string]time.Time{}}
	record := func(obj any) {
		claim, ok := obj.(*resourceapi.ResourceClaim)
		if !ok || claim.Status.Allocation == nil {
			return
		}
		now := time.Now()
		a.mu.Lock()
		defer a.mu.Unlock()
		if _, ok := a.seen[claim.Name]; !ok {
			a.seen[claim.Name] = now
		}
	}
	factory := informers.NewSharedInformerFactoryWithOptions(c.client, 0, informers.WithNamespace(ns))
	inf := factory.Resource().V1().ResourceClaims().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    record,
		UpdateFunc: func(_, obj any) { record(obj) },
	}); err != nil {
		t.Fatalf("watching claims: %v", err)
	}
	stop := make(chan struct{})
	factory.Start(stop)
	t.Cleanup(func() {
		close(stop)
		factory.Shutdown()
	})
	if !cache.WaitForCacheSync(stop, inf.HasSynced) {
		t.Fatal("claim informer did not sync")
	}
	return a
}

// reportLatency logs the distribution of allocated -> configured and appends it to the
// results file. It is a measurement, not an assertion.
func reportLatency(t *testing.T, c *cluster, d []time.Duration) {
	t.Helper()
	if len(d) == 0 {
		t.Error("no allocated -> configured measurement: no claim was seen allocated")
		return
	}
	slices.Sort(d)
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	line := fmt.Sprintf("%s scale: %d pods, claim allocated (watch) -> interface configured (RunPodSandbox returned): median %.1f ms, min %.1f ms, p90 %.1f ms, max %.1f ms",
		time.Now().UTC().Format(time.RFC3339), len(d), ms(e2eutil.Median(d)), ms(d[0]), ms(d[len(d)*9/10]), ms(d[len(d)-1]))
	t.Log(line)
	if err := e2eutil.AppendResults(c.resultsFile(), line); err != nil {
		t.Error(err)
	}
}
