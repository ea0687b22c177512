package netnstest

import "github.com/netclaim/netclaim/pkg/nlwrap"

// RetryDump runs a netlink dump through the product's retry wrapper, so test read-backs
// never trust a partial (interrupted) dump either.
func RetryDump[T any](dump func() (T, error)) (T, error) {
	return nlwrap.RetryDump("netlink dump", dump)
}
