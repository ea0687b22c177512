package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netclaim/netclaim/test/netnstest"
)

// Attach methods, in the order results list them.
const (
	methodFloor       = "floor"
	methodNetdev      = "netdev"
	methodNetclaim    = "netclaim"
	methodCNIDebian   = "cni-debian"
	methodCNIUpstream = "cni-upstream"
)

var allMethods = []string{methodFloor, methodNetdev, methodNetclaim, methodCNIDebian, methodCNIUpstream}

// method is one way of putting a NIC into the pod and back, with a NIC of its own.
type method struct {
	name string
	nic  netnstest.NIC
	// children: the method's work runs in child processes too (CNI plugins).
	children bool
	// leavesDown: detach leaves the NIC down. The CNI host-device plugin does not restore
	// the admin state; the benchmark sets the NIC up again, untimed, so that every attach
	// of every method starts from the same state.
	leavesDown     bool
	attach, detach func(round int) error
}

func newMethod(tb testing.TB, n *node, name string, i int) *method {
	tb.Helper()
	switch name {
	case methodFloor:
		f := newFloor(tb, n, n.addNIC("flr0", i))
		return &method{name: name, nic: f.nic,
			attach: func(int) error { return f.attach() }, detach: func(int) error { return f.detach() }}
	case methodNetdev:
		nic := n.addNIC("ndv0", i)
		p := newNetdevPath(tb, n, nic)
		return &method{name: name, nic: nic, attach: p.attach, detach: p.detach}
	case methodNetclaim:
		nic := n.addNIC("ncl0", i)
		p := newNetclaimPath(tb, n, nic)
		return &method{name: name, nic: nic, attach: p.attach, detach: p.detach}
	case methodCNIDebian, methodCNIUpstream:
		dir, ifName := *cniDebianDir, "cnideb0"
		if name == methodCNIUpstream {
			dir, ifName = *cniUpstreamDir, "cniup0"
		}
		nic := n.addNIC(ifName, i)
		c := newCNIPath(tb, name, dir, n, nic)
		return &method{name: name, nic: nic, children: true, leavesDown: true, attach: c.attach, detach: c.detach}
	}
	tb.Fatalf("unknown attach method %q; known: %s", name, strings.Join(allMethods, ", "))
	return nil
}

func selectedMethods(tb testing.TB) []string {
	if *methodsFlag == "" {
		return allMethods
	}
	names := strings.Split(*methodsFlag, ",")
	for _, name := range names {
		if !slices.Contains(allMethods, name) {
			tb.Fatalf("-methods: unknown method %q; known: %s", name, strings.Join(allMethods, ", "))
		}
	}
	return names
}

// cycle attaches and detaches once, measuring both, and checks what the kernel holds
// after each: a method that skipped part of the work fails here instead of looking fast.
func cycle(n *node, m *method, round int) (attach, detach sample, err error) {
	mark(m.name, "attach", "begin")
	attach, err = measure(m.children, func() error { return m.attach(round) })
	mark(m.name, "attach", "end")
	if err != nil {
		return attach, detach, fmt.Errorf("%s: attach in round %d: %w", m.name, round, err)
	}
	if err := n.checkAttached(m.nic); err != nil {
		return attach, detach, fmt.Errorf("%s: round %d: %w", m.name, round, err)
	}
	pause()

	mark(m.name, "detach", "begin")
	detach, err = measure(m.children, func() error { return m.detach(round) })
	mark(m.name, "detach", "end")
	if err != nil {
		return attach, detach, fmt.Errorf("%s: detach in round %d: %w", m.name, round, err)
	}
	if err := n.checkDetached(m.nic, m.leavesDown); err != nil {
		return attach, detach, fmt.Errorf("%s: round %d: %w", m.name, round, err)
	}
	if m.leavesDown {
		n.SetAdminState(n.Node, m.nic.Name, true)
	}
	pause()
	return attach, detach, nil
}

// pause idles between operations for -gap, give or take half of it. The kernel's grace
// periods advance with the scheduler tick (4 ms at HZ=250) and a netns move waits for
// one; a fixed pause would lock every operation to the same phase of the tick, and the
// methods to different phases. The jitter spreads all of them over it.
func pause() {
	if *gap <= 0 {
		return
	}
	time.Sleep(*gap/2 + rand.N(*gap))
}

// opStats are the samples of one operation of one method.
type opStats struct {
	wall, cpu distribution
	alloc     uint64
}

func (s *opStats) add(x sample) {
	s.wall = append(s.wall, x.wall)
	s.cpu = append(s.cpu, x.cpu)
	s.alloc += x.alloc
}

// BenchmarkAttach_Interleaved measures attach and detach of one interface by every method
// in one run: each round runs every method once, in a fresh random order, so that load
// from the rest of the machine and the kernel's deferred work fall on all methods alike.
// It ignores b.N; run it with -test.benchtime=1x.
func BenchmarkAttach_Interleaved(b *testing.B) {
	n := newNode(b)
	names := selectedMethods(b)
	methods := make([]*method, len(names))
	for i, name := range names {
		methods[i] = newMethod(b, n, name, i)
	}
	attach := map[string]*opStats{}
	detach := map[string]*opStats{}
	for _, m := range methods {
		attach[m.name], detach[m.name] = &opStats{}, &opStats{}
	}
	rng := rand.New(rand.NewPCG(6, 6)) // fixed: runs differ by the machine, not the order
	b.ResetTimer()
	for round := -*warmup; round < *rounds; round++ {
		for _, i := range rng.Perm(len(methods)) {
			m := methods[i]
			a, d, err := cycle(n, m, round+*warmup)
			if err != nil {
				b.Fatal(err)
			}
			if round >= 0 {
				attach[m.name].add(a)
				detach[m.name].add(d)
			}
		}
	}
	b.StopTimer()
	reportAttach(b, names, attach, detach)
}

func reportAttach(b *testing.B, names []string, attach, detach map[string]*opStats) {
	r := newResults("attach")
	r.add("rounds", "%d", *rounds)
	for _, name := range names {
		key := strings.ReplaceAll(name, "-", "_")
		for _, op := range []struct {
			name  string
			stats *opStats
		}{{"attach", attach[name]}, {"detach", detach[name]}} {
			prefix := key + "_" + op.name
			r.ms(prefix+"_median_ms", op.stats.wall.median())
			r.ms(prefix+"_p99_ms", op.stats.wall.percentile(99))
			r.ms(prefix+"_mean_ms", op.stats.wall.mean())
			r.ms(prefix+"_cpu_ms", op.stats.cpu.mean())
			r.add(prefix+"_alloc_bytes", "%d", op.stats.alloc/uint64(max(len(op.stats.wall), 1)))
		}
	}
	floor, ours := attach[methodFloor], attach[methodNetclaim]
	if floor != nil {
		r.ms("floor_median_ms", floor.wall.median())
		r.ms("floor_p99_ms", floor.wall.percentile(99))
	}
	if ours != nil {
		r.ms("attach_median_ms", ours.wall.median())
		r.ms("attach_p99_ms", ours.wall.percentile(99))
		r.ms("detach_median_ms", detach[methodNetclaim].wall.median())
		b.ReportMetric(millis(ours.wall.median()), "attach-median-ms")
	}
	if floor != nil && ours != nil {
		r.ratio("attach_vs_floor", ours.wall.median(), floor.wall.median())
		r.ratio("attach_p99_vs_floor", ours.wall.percentile(99), floor.wall.percentile(99))
		r.ratio("attach_cpu_vs_floor", ours.cpu.mean(), floor.cpu.mean())
		r.ratio("detach_vs_floor", detach[methodNetclaim].wall.median(), detach[methodFloor].wall.median())
	}
	fastest := ""
	for _, name := range []string{methodCNIDebian, methodCNIUpstream} {
		if s := attach[name]; s != nil && (fastest == "" || s.wall.median() < attach[fastest].wall.median()) {
			fastest = name
		}
	}
	if fastest != "" {
		r.add("cni_fastest", "%s", fastest)
		r.ms("cni_hostdevice_median_ms", attach[fastest].wall.median())
		if ours != nil {
			r.ratio("attach_speedup", attach[fastest].wall.median(), ours.wall.median())
		}
	}
	r.write(b)
}

// TestMethods_GiveThePodTheSameInterface runs each method through two attach/detach
// cycles with the benchmark's checks: what the benchmark compares is the same job.
func TestMethods_GiveThePodTheSameInterface(t *testing.T) {
	for i, name := range allMethods {
		t.Run(name, func(t *testing.T) {
			netnstest.RequireRoot(t)
			if name == methodCNIDebian || name == methodCNIUpstream {
				if missing := cniPluginsMissing(cniDirOf(name)); len(missing) > 0 {
					t.Skipf("CNI plugins %q not installed (test/bench/run.sh installs Debian's and builds upstream's)", missing)
				}
			}
			n := newNode(t)
			m := newMethod(t, n, name, i)
			for round := range 2 {
				if _, _, err := cycle(n, m, round); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func cniDirOf(method string) string {
	switch method {
	case methodCNIDebian:
		return *cniDebianDir
	case methodCNIUpstream:
		return *cniUpstreamDir
	}
	return ""
}
