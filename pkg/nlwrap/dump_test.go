package nlwrap

import (
	"errors"
	"testing"

	"github.com/vishvananda/netlink"
)

func TestRetryDump_RepeatsInterruptedDumpsUntilComplete(t *testing.T) {
	calls := 0
	got, err := RetryDump("links", func() ([]string, error) {
		calls++
		if calls < 3 {
			return []string{"partial"}, netlink.ErrDumpInterrupted
		}
		return []string{"lo", "eth0"}, nil
	})
	if err != nil || calls != 3 || len(got) != 2 {
		t.Fatalf("got %v, %v after %d calls; want the complete dump after 3", got, err, calls)
	}
}

func TestRetryDump_GivesUpWithoutReturningPartialData(t *testing.T) {
	calls := 0
	got, err := RetryDump("links", func() ([]string, error) {
		calls++
		return []string{"partial"}, netlink.ErrDumpInterrupted
	})
	if !errors.Is(err, netlink.ErrDumpInterrupted) || calls != MaxDumpAttempts || got != nil {
		t.Fatalf("got %v, %v after %d calls; want no data and ErrDumpInterrupted after %d", got, err, calls, MaxDumpAttempts)
	}
}

func TestRetryDump_PassesOtherErrorsThroughAtOnce(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	_, err := RetryDump("links", func() (int, error) { calls++; return 0, boom })
	if !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("err %v after %d calls; want boom after 1", err, calls)
	}
}
