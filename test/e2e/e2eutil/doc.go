// Package e2eutil holds what netclaim's two end-to-end suites share: the suite of
// simulated nodes (test/e2e/suite) and the suite of the real node (test/e2e/nodesuite).
// Both drive a local control plane through client-go and read the kernel back with
// netlink; the helpers here take the client, poll interval and timeouts of the calling
// suite, so each keeps its own pace. Helpers that fail a test take a testing.TB.
package e2eutil
