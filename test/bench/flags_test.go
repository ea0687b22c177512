package bench

import (
	"flag"
	"os"
	"path/filepath"
	"time"
)

// Settings of a benchmark run; run.sh passes them after -args.
var (
	outDir = flag.String("out", "", "directory for the results (<benchmark>.kv files); empty: results are only logged")

	rounds = flag.Int("rounds", 200, "measured rounds of the interleaved attach benchmark (each method attaches and detaches once per round)")
	warmup = flag.Int("warmup", 10, "unmeasured rounds before those (page cache, first exec of each plugin binary)")
	gap    = flag.Duration("gap", 20*time.Millisecond,
		"idle time (+-50%, random) after each measured operation, so that work the kernel defers (netns cleanup, RCU callbacks) lands between operations, not in the next one")
	methodsFlag = flag.String("methods", "", "comma-separated subset of the attach methods to run (floor,netdev,netclaim,cni-debian,cni-upstream); empty: all")
	markers     = flag.Bool("markers", false,
		"mark the start and end of every attach and detach with a failing faccessat of /netclaim-bench-marker/METHOD/OP/PHASE, for counting syscalls under strace (run.sh does)")

	cniDebianDir   = flag.String("cni-debian", "/usr/lib/cni", "directory of Debian's containernetworking-plugins binaries")
	cniUpstreamDir = flag.String("cni-upstream", defaultUpstreamDir(), "directory of host-device, tuning and static built from upstream containernetworking/plugins (run.sh builds them)")

	discoveryIterations = flag.Int("discovery-iterations", 30, "measured scans of the synthetic 8 PF x 128 VF host")
	prepareIterations   = flag.Int("prepare-iterations", 200, "measured single-claim prepares")
	batchIterations     = flag.Int("prepare-batch-iterations", 20, "measured 100-claim prepares")

	controlPlaneDir = flag.String("control-plane", "", "directory holding etcd and kube-apiserver (test/e2e/tools/build.sh prints it); the RSS benchmark needs it")
	pluginBinary    = flag.String("plugin", "", "netclaim-plugin binary for the RSS benchmark")
	rssIdle         = flag.Duration("rss-idle", 30*time.Second, "how long the plugin idles (rescanning) while its RSS is sampled")
	rssRescan       = flag.Duration("rss-rescan", 5*time.Second, "the plugin's --rescan-interval during the RSS benchmark")
)

// defaultUpstreamDir is where run.sh caches the upstream plugins; the version directory is
// not known here, so the default only works with run.sh's CNI_PLUGINS_VERSION unset and a
// single cached version. run.sh always passes the flag.
func defaultUpstreamDir() string {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		cache = filepath.Join(home, ".cache")
	}
	matches, err := filepath.Glob(filepath.Join(cache, "netclaim", "cni-v*"))
	if err != nil || len(matches) != 1 {
		return ""
	}
	return matches[0]
}
