package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// How a durable file write can precede the netns move, and what each leaves behind for the
// move to pay: the move waits in rcu_barrier() for every pending RCU callback, and
// replacing a file by rename queues some (the replaced inode and dentry are freed through
// RCU), while rewriting a file in place queues none.
var fileWrites = []struct {
	name  string
	write func(dir string, data []byte) error
}{
	{"none", func(string, []byte) error { return nil }},
	// What pkg/checkpoint does: temp file, fsync, rename over, fsync the directory.
	{"replace", replaceFile},
	// A double-buffered checkpoint's write: the inactive slot rewritten in place, fdatasync.
	{"in_place", rewriteInPlace},
}

// fileWriteSize is about a checkpoint holding one claim.
const fileWriteSize = 1500

func replaceFile(dir string, data []byte) error {
	tmp, err := os.CreateTemp(dir, ".replace-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, "replace")); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		return err
	}
	return d.Close()
}

func rewriteInPlace(dir string, data []byte) error {
	f, err := os.OpenFile(filepath.Join(dir, "in_place"), os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return err
	}
	return f.Close()
}

// BenchmarkFloor_AfterFileWrite times the floor's attach right after each kind of durable
// file write (the write itself untimed), interleaved: the part of netclaim's attach that
// its checkpoint write adds to the kernel's move, and what a write that replaces no file
// would add instead. It ignores b.N; run it with -test.benchtime=1x.
func BenchmarkFloor_AfterFileWrite(b *testing.B) {
	n := newNode(b)
	f := newFloor(b, n, n.addNIC("flr0", 0))
	dir := b.TempDir()
	data := make([]byte, fileWriteSize)
	for _, w := range fileWrites {
		if err := w.write(dir, data); err != nil { // both files exist from here on
			b.Fatalf("%s: %v", w.name, err)
		}
	}
	stats := make([]opStats, len(fileWrites))
	for round := -*warmup; round < *rounds; round++ {
		for _, i := range rand.Perm(len(fileWrites)) {
			if err := fileWrites[i].write(dir, data); err != nil {
				b.Fatalf("%s: %v", fileWrites[i].name, err)
			}
			x, err := measure(false, f.attach)
			if err != nil {
				b.Fatal(err)
			}
			if err := n.checkAttached(f.nic); err != nil {
				b.Fatal(err)
			}
			pause()
			if err := f.detach(); err != nil {
				b.Fatal(err)
			}
			if err := n.checkDetached(f.nic, false); err != nil {
				b.Fatal(err)
			}
			pause()
			if round >= 0 {
				stats[i].add(x)
			}
		}
	}
	r := newResults("filewrite")
	for i, w := range fileWrites {
		r.ms(fmt.Sprintf("floor_after_%s_median_ms", w.name), stats[i].wall.median())
		r.ms(fmt.Sprintf("floor_after_%s_p99_ms", w.name), stats[i].wall.percentile(99))
	}
	r.write(b)
}
