package netnstest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
)

// RequireHostLinksUnchanged records the links of the real host namespace (the
// test process's) and, in t.Cleanup, reports a test error when they differ:
// a device the test created leaked there, or the code under test moved or
// renamed a host device. New calls it; suites that build their own
// namespaces should too.
func RequireHostLinksUnchanged(t testing.TB) {
	t.Helper()
	requireLinksUnchanged(t, "the real host namespace", netlink.LinkList)
}

// requireLinksUnchanged registers the check for the namespace that list
// dumps; it is separate so that the check itself can be tested on a
// namespace the test owns.
func requireLinksUnchanged(t testing.TB, where string, list func() ([]netlink.Link, error)) {
	t.Helper()
	before, err := linkNames(list)
	if err != nil {
		t.Fatalf("listing links of %s: %v", where, err)
	}
	t.Cleanup(func() {
		after, err := linkNames(list)
		if err != nil {
			t.Errorf("listing links of %s: %v", where, err)
			return
		}
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("links of %s changed (-before +after):\n%s", where, diff)
		}
	})
}
