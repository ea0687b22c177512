package inventory

import (
	"errors"
	"testing"

	"github.com/vishvananda/netlink"
)

// interruptedDumps fails the first n dumps the way the kernel does when links change
// mid-dump: a partial result and ErrDumpInterrupted.
type interruptedDumps struct {
	n, calls int
}

func (d *interruptedDumps) LinkList() ([]netlink.Link, error) {
	d.calls++
	partial := []netlink.Link{&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "partial"}}}
	if d.calls <= d.n {
		return partial, netlink.ErrDumpInterrupted
	}
	return append(partial, &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "complete"}}), nil
}

func TestListLinks_RetriesInterruptedDumpsAndNeverReturnsAPartialOne(t *testing.T) {
	d := &interruptedDumps{n: maxDumpAttempts - 1}
	links, err := listLinks(d)
	if err != nil {
		t.Fatalf("listLinks after %d interruptions: %v", d.n, err)
	}
	if len(links) != 2 || d.calls != maxDumpAttempts {
		t.Fatalf("got %d links after %d dumps, want the complete dump (2 links) after %d", len(links), d.calls, maxDumpAttempts)
	}

	always := &interruptedDumps{n: maxDumpAttempts}
	links, err = listLinks(always)
	if !errors.Is(err, netlink.ErrDumpInterrupted) || links != nil {
		t.Fatalf("listLinks when every dump is interrupted = %d links, %v; want no links and ErrDumpInterrupted", len(links), err)
	}
}
