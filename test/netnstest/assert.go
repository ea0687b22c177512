package netnstest

import (
	"strings"
	"testing"
)

// RequireErrorContains fails the test when err is nil and reports an error
// for each part its message lacks: netclaim's errors must name the device,
// the namespace and what to change.
func RequireErrorContains(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}
