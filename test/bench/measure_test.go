package bench

import (
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// sample is one measured operation: wall time, the CPU time (user + system) it cost and
// the bytes it allocated on the Go heap.
type sample struct {
	wall, cpu time.Duration
	alloc     uint64
}

// measure times op and the CPU it burns. CPU is getrusage(RUSAGE_SELF) around the call:
// the whole process, every thread, so the Go runtime's work for op (GC, netpoller) counts
// too. With children it adds getrusage(RUSAGE_CHILDREN): the CPU of child processes op
// started and waited for (the CNI plugins, and the IPAM plugin each of those execs),
// which the kernel adds to the parent only once they are reaped.
//
// The operations are measured one at a time with nothing else running in the process,
// so the difference of two readings is the operation's own cost. Linux keeps the sum of
// user and system time exact (it scales the tick-sampled split to the scheduler's
// runtime), so sums over many operations are precise even though each reading is not.
//
// A garbage collection first (untimed) keeps one method's garbage from being collected,
// and charged, during another method's operation; an operation's own allocations are too
// small to start a collection, so alloc reports them instead.
func measure(children bool, op func() error) (sample, error) {
	runtime.GC()
	var mem0, mem1 runtime.MemStats
	runtime.ReadMemStats(&mem0)
	cpu0, err := cpuTime(children)
	if err != nil {
		return sample{}, err
	}
	start := time.Now()
	opErr := op()
	wall := time.Since(start)
	cpu1, err := cpuTime(children)
	if err != nil {
		return sample{}, err
	}
	runtime.ReadMemStats(&mem1)
	return sample{wall: wall, cpu: cpu1 - cpu0, alloc: mem1.TotalAlloc - mem0.TotalAlloc}, opErr
}

func cpuTime(children bool) (time.Duration, error) {
	total, err := rusageCPU(unix.RUSAGE_SELF)
	if err != nil || !children {
		return total, err
	}
	child, err := rusageCPU(unix.RUSAGE_CHILDREN)
	return total + child, err
}

func rusageCPU(who int) (time.Duration, error) {
	var ru unix.Rusage
	if err := unix.Getrusage(who, &ru); err != nil {
		return 0, fmt.Errorf("getrusage(%d): %w", who, err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// markerRoot is a path that never exists: a marker is a failing faccessat on it, one
// cheap syscall that strace shows with its path.
const markerRoot = "/netclaim-bench-marker"

// mark emits the marker METHOD/OP/PHASE when -markers is set. run.sh counts the netlink
// sockets, setns calls and execs between each begin and end marker in an strace log of a
// short run (strace follows every thread and child, so it sees the sockets a CNI plugin
// opens as well as ours); the timed run carries no markers and no tracer.
func mark(method, op, phase string) {
	if !*markers {
		return
	}
	// The error is the point: the path does not exist.
	_ = unix.Access(markerRoot+"/"+method+"/"+op+"/"+phase, unix.F_OK)
}
