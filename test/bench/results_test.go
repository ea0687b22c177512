package bench

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// results are the figures of one benchmark, in the order they were added. They are
// logged and, with -out, written to OUT/<name>.kv as key=value lines for run.sh.
type results struct {
	name  string
	lines []string
}

func newResults(name string) *results { return &results{name: name} }

func (r *results) add(key, format string, args ...any) {
	r.lines = append(r.lines, key+"="+fmt.Sprintf(format, args...))
}

// ms adds a duration in milliseconds.
func (r *results) ms(key string, d time.Duration) { r.add(key, "%.3f", millis(d)) }

// ratio adds a/b.
func (r *results) ratio(key string, a, b time.Duration) { r.add(key, "%.3f", float64(a)/float64(b)) }

func (r *results) write(tb testing.TB) {
	tb.Helper()
	tb.Logf("%s:\n%s", r.name, strings.Join(r.lines, "\n"))
	if *outDir == "" {
		return
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		tb.Fatalf("creating %s: %v", *outDir, err)
	}
	path := filepath.Join(*outDir, r.name+".kv")
	if err := os.WriteFile(path, []byte(strings.Join(r.lines, "\n")+"\n"), 0o644); err != nil {
		tb.Fatalf("writing results: %v", err)
	}
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// distribution is a set of measured durations.
type distribution []time.Duration

func (d distribution) sorted() distribution { return slices.Sorted(slices.Values(d)) }

// median is the middle value (the mean of the two middle ones for an even count).
func (d distribution) median() time.Duration {
	s := d.sorted()
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile is the nearest-rank percentile: the smallest value that at least p percent
// of the samples do not exceed. With 200 samples the 99th leaves out the two largest.
func (d distribution) percentile(p float64) time.Duration {
	s := d.sorted()
	if len(s) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank, 1)-1]
}

func (d distribution) mean() time.Duration {
	if len(d) == 0 {
		return 0
	}
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	return sum / time.Duration(len(d))
}

func TestDistribution_MedianAndNearestRankPercentile(t *testing.T) {
	ms := func(vs ...int) distribution {
		var d distribution
		for _, v := range vs {
			d = append(d, time.Duration(v)*time.Millisecond)
		}
		return d
	}
	samples := make([]int, 200)
	for i := range samples {
		samples[i] = 200 - i // 200 .. 1, unsorted on purpose
	}
	for _, tc := range []struct {
		name              string
		d                 distribution
		median, p99, mean time.Duration
	}{
		{name: "odd count", d: ms(5, 1, 3), median: 3 * time.Millisecond, p99: 5 * time.Millisecond, mean: 3 * time.Millisecond},
		{name: "even count", d: ms(4, 1, 3, 2), median: 2500 * time.Microsecond, p99: 4 * time.Millisecond, mean: 2500 * time.Microsecond},
		{name: "200 samples: p99 leaves out the two largest", d: ms(samples...), median: 100500 * time.Microsecond, p99: 198 * time.Millisecond, mean: 100500 * time.Microsecond},
		{name: "empty", d: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.median(); got != tc.median {
				t.Errorf("median = %v, want %v", got, tc.median)
			}
			if got := tc.d.percentile(99); got != tc.p99 {
				t.Errorf("p99 = %v, want %v", got, tc.p99)
			}
			if got := tc.d.mean(); got != tc.mean {
				t.Errorf("mean = %v, want %v", got, tc.mean)
			}
		})
	}
}
