package netdev

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
)

// maxDumpAttempts bounds retries of a netlink dump the kernel interrupted
// because the table changed underneath it (NLM_F_DUMP_INTR). Under churn a
// few retries suffice; more means something is rewriting the table
// continuously and failing is the honest answer.
const maxDumpAttempts = 5

// retryDump repeats dump while the kernel reports it interrupted: an
// interrupted dump returns partial data, which must not be trusted to say a
// device is absent.
func retryDump[T any](what string, dump func() (T, error)) (T, error) {
	var (
		result T
		err    error
	)
	for range maxDumpAttempts {
		result, err = dump()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return result, err
		}
	}
	return result, fmt.Errorf("%s: interrupted %d times in a row: %w", what, maxDumpAttempts, err)
}
