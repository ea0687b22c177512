package netdev

import (
	"context"
	"testing"
	"time"

	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

// BenchmarkAttachDetach moves a veth from the node netns into a pod netns
// with the full podSpec configuration and back. attach-ns/op and
// detach-ns/op split the round trip; the kernel's rcu_barrier() in the
// netns move dominates both.
func BenchmarkAttachDetach(b *testing.B) {
	tb := newTestbed(b)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:20:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
	spec := podSpec(ref, plan.Interface{Name: "net1", MTU: 1400, HardwareAddr: "02:aa:00:00:20:01"})
	orig, err := tb.host.Snapshot(ref)
	if err != nil {
		b.Fatalf("Snapshot: %v", err)
	}
	ctx := context.Background()
	var attach, detach time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if err := tb.host.Attach(ctx, spec, tb.PodPath); err != nil {
			b.Fatalf("Attach: %v", err)
		}
		attached := time.Now()
		if err := tb.host.Detach(ctx, spec, orig, tb.PodPath); err != nil {
			b.Fatalf("Detach: %v", err)
		}
		attach += attached.Sub(start)
		detach += time.Since(attached)
	}
	b.ReportMetric(float64(attach.Nanoseconds())/float64(b.N), "attach-ns/op")
	b.ReportMetric(float64(detach.Nanoseconds())/float64(b.N), "detach-ns/op")
}

// BenchmarkAttach_Converged is a repeated Attach of a device already in
// place: the cost of a duplicate runtime hook.
func BenchmarkAttach_Converged(b *testing.B) {
	tb := newTestbed(b)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:21:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	spec := podSpec(plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}, plan.Interface{Name: "net1"})
	ctx := context.Background()
	if err := tb.host.Attach(ctx, spec, tb.PodPath); err != nil {
		b.Fatalf("Attach: %v", err)
	}
	for b.Loop() {
		if err := tb.host.Attach(ctx, spec, tb.PodPath); err != nil {
			b.Fatalf("Attach: %v", err)
		}
	}
}

// BenchmarkOpenPodConn is the per-call cost of netlink access to a pod
// netns (open the namespace, a netlink.Handle and a raw socket in it,
// close them), which every Attach and Detach pays instead of caching.
func BenchmarkOpenPodConn(b *testing.B) {
	tb := newTestbed(b)
	for b.Loop() {
		c, err := openPodConn(tb.PodPath)
		if err != nil {
			b.Fatalf("openPodConn: %v", err)
		}
		if err := closePodConn(c); err != nil {
			b.Fatalf("closePodConn: %v", err)
		}
	}
}

// BenchmarkSnapshot is a lookup through the shared, mutex-guarded host
// handle.
func BenchmarkSnapshot(b *testing.B) {
	tb := newTestbed(b)
	nic := netnstest.NIC{Name: "nic0", MAC: "02:00:00:00:22:01", MTU: 1500, Up: true}
	tb.AddVethNIC(nic)
	ref := plan.HostLink{Name: nic.Name, HardwareAddr: nic.MAC}
	for b.Loop() {
		if _, err := tb.host.Snapshot(ref); err != nil {
			b.Fatalf("Snapshot: %v", err)
		}
	}
}
