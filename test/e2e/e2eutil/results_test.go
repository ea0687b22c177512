package e2eutil

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMedian_OddEvenAndUnsortedInputLeftAlone(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{"none", nil, 0},
		{"odd count", []time.Duration{5 * ms, 1 * ms, 3 * ms}, 3 * ms},
		{"even count averages the middle two", []time.Duration{4 * ms, 1 * ms, 2 * ms, 10 * ms}, 3 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]time.Duration(nil), tc.in...)
			if got := Median(in); got != tc.want {
				t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
			}
			if diff := cmp.Diff(tc.in, in); diff != "" {
				t.Errorf("Median reordered its input (-before +after):\n%s", diff)
			}
		})
	}
}

func TestAppendResults_AppendsLinesToWhatIsThere(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.txt")
	if err := AppendResults(path, "first"); err != nil {
		t.Fatal(err)
	}
	if err := AppendResults(path, "second", "third"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("first\nsecond\nthird\n", string(got)); diff != "" {
		t.Errorf("results file (-want +got):\n%s", diff)
	}
}

func TestAppendResults_MissingDirectoryIsAnError(t *testing.T) {
	if err := AppendResults(filepath.Join(t.TempDir(), "no-such-dir", "results.txt"), "x"); err == nil {
		t.Error("AppendResults into a missing directory returned no error")
	}
}
