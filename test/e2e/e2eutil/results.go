package e2eutil

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"
)

// Median is the median of the durations (the mean of the middle two for an even count);
// d is left as it was. It is zero for no durations.
func Median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// AppendResults appends lines to the results file that make e2e and make e2e-node print
// and keep, creating it when needed.
func AppendResults(path string, lines ...string) (err error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening results file: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("closing results file %s: %w", path, cerr))
		}
	}()
	for _, l := range lines {
		if _, err := fmt.Fprintln(f, l); err != nil {
			return fmt.Errorf("writing results file %s: %w", path, err)
		}
	}
	return nil
}
