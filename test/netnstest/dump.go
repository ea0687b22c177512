package netnstest

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
)

// maxDumpAttempts bounds RetryDump. Tests run on a quiet namespace, so more
// than a few interrupted dumps in a row means something is wrong.
const maxDumpAttempts = 5

// RetryDump repeats dump while the kernel reports it interrupted
// (netlink.ErrDumpInterrupted, NLM_F_DUMP_INTR): the table changed during
// the dump and the partial result must not be trusted, e.g. to say that a
// device is absent.
func RetryDump[T any](dump func() (T, error)) (T, error) {
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
	return result, fmt.Errorf("netlink dump interrupted %d times in a row: %w", maxDumpAttempts, err)
}
