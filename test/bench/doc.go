// Package bench measures what netclaim costs a node, next to what the same job costs at
// the least (a floor) and through the CNI plugins that Multus and containerd run today.
// Run it with `make bench` (test/bench/run.sh), which builds the peer tooling, runs every
// benchmark and prints one key=value line per figure; docs/benchmarks.md explains the
// figures and records a run.
//
// The package is its own Go module so that the peer tooling it drives (libcni and, as
// separate binaries, the containernetworking plugins) never enters netclaim's module
// graph, let alone the plugin binary.
//
// Everything here is benchmark and test code: the benchmarks run their own fixed number
// of rounds (they measure distributions and interleave competing methods, which b.N
// cannot express), so run them with -test.benchtime=1x. Every round also checks what the
// kernel holds afterwards, so a method that did less work than the others fails the
// benchmark instead of winning it.
package bench
