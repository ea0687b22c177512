// Package nlwrap holds the one wrapper every netlink dump in netclaim goes through.
//
// When the table being dumped changes underneath a dump, the kernel flags the reply
// (NLM_F_DUMP_INTR) and vishvananda/netlink returns the partial data together with
// netlink.ErrDumpInterrupted. A partial link list must never be trusted, e.g. to conclude
// that a device is absent, so the dump is repeated.
package nlwrap

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
)

// MaxDumpAttempts bounds the retries. Under churn a few retries get through; more means
// something rewrites the table continuously and failing is the honest answer.
const MaxDumpAttempts = 5

// RetryDump runs dump until it completes without interruption, at most MaxDumpAttempts
// times. what names the dump in the error ("links in netns /run/netns/x").
func RetryDump[T any](what string, dump func() (T, error)) (T, error) {
	var (
		result T
		err    error
	)
	for range MaxDumpAttempts {
		result, err = dump()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return result, err
		}
	}
	var zero T
	return zero, fmt.Errorf("dumping %s: interrupted %d times in a row: %w", what, MaxDumpAttempts, err)
}
