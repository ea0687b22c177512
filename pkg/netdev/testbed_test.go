package netdev

import (
	"testing"

	"github.com/netclaim/netclaim/test/netnstest"
)

// testbed is netnstest's simulated node plus a Host opened on its node
// namespace, the way the plugin opens the real host.
type testbed struct {
	*netnstest.Testbed
	host *Host
}

// newTestbed creates the node and pod namespaces (see netnstest.New, which
// also checks that nothing leaks into the real host namespace) and a Host on
// the node namespace, closed in t.Cleanup before the namespaces go.
func newTestbed(t testing.TB, opts ...Option) *testbed {
	t.Helper()
	tb := netnstest.New(t)
	host, err := OpenHostAt(tb.NodePath, opts...)
	if err != nil {
		t.Fatalf("OpenHostAt(%s): %v", tb.NodePath, err)
	}
	t.Cleanup(func() {
		if err := host.Close(); err != nil {
			t.Errorf("closing host: %v", err)
		}
	})
	return &testbed{Testbed: tb, host: host}
}
