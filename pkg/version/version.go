// Package version reports the build's version, set at link time with
// -ldflags "-X github.com/netclaim/netclaim/pkg/version.Version=...".
package version

// Version is the release version; "devel" for untagged builds.
var Version = "devel"

// DriverName is the DRA driver name netclaim registers and publishes under.
const DriverName = "netclaim.dev"
