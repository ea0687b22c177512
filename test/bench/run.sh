#!/usr/bin/env bash
# Runs netclaim's benchmarks (test/bench) and prints one key=value line per figure; `make
# bench` calls it. docs/benchmarks.md explains every figure and records a run.
#
# What it needs, and where it gets it:
#   root                      the attach benchmark creates network namespaces and veths
#   Debian packages           installed on first use: strace (counts netlink sockets, setns
#                             calls and execs per operation), containernetworking-plugins
#                             (Debian's CNI plugins in /usr/lib/cni, the CNI path measured),
#                             ca-certificates (the Go module proxy is HTTPS)
#   upstream CNI plugins      host-device, tuning and static from github.com/containernetworking/
#                             plugins (CNI_PLUGINS_VERSION, default: the latest v1.x on the module
#                             proxy), built once into ${XDG_CACHE_HOME:-$HOME/.cache}/netclaim/cni-<version>
#   etcd + kube-apiserver     for the plugin's RSS: test/e2e/tools/build.sh (cached; a cold build
#                             takes 8-17 minutes), or NETCLAIM_BENCH_CONTROL_PLANE=DIR
#
# Settings (environment):
#   BENCH_OUT=DIR             results and logs (default bin/bench); emptied first
#   BENCH_ROUNDS=N            interleaved attach rounds (default 200)
#   BENCH_ARGS="..."          more flags for every benchmark (see test/bench/flags_test.go)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${BENCH_OUT:-$repo/bin/bench}
rounds=${BENCH_ROUNDS:-200}
read -r -a extra <<<"${BENCH_ARGS:-}"

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
  printf '[bench %s] ERROR: %s\n' "$(date +%T)" "$*" >&2
  exit 1
}

[[ $(id -u) == 0 ]] || die "must run as root: the attach benchmark creates network namespaces"
source "$repo/hack/lib/ensure-packages.sh"
ensure_packages strace containernetworking-plugins ca-certificates
for p in host-device tuning static; do
  [[ -x /usr/lib/cni/$p ]] || die "/usr/lib/cni/$p missing although containernetworking-plugins is installed"
done
case $out in
  "" | / | "$repo" | "$HOME") die "BENCH_OUT=$out: use a folder of its own" ;;
esac
rm -rf "$out"
mkdir -p "$out/bin"

# stop_leftovers ends processes a killed RSS benchmark left behind. The benchmark writes the
# pid of everything it starts next to its log; a pid counts only while its command line
# still names the results folder (a recycled pid would not).
stop_leftovers() {
  local f pid
  for f in "$out"/rss/*.pid "$out"/rss/control-plane/*.pid; do
    [[ -f $f ]] || continue
    pid=$(<"$f")
    [[ -r /proc/$pid/cmdline ]] || continue
    if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$out/rss/"; then
      kill "$pid" 2>/dev/null || true
    fi
  done
}
trap stop_leftovers EXIT

# --- upstream CNI plugins ---------------------------------------------------------------
cni_version=${CNI_PLUGINS_VERSION:-latest}
cni_cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/netclaim
if [[ $cni_version == latest ]]; then
  if ! cni_version=$(cd / && GOFLAGS=-mod=mod go list -m -f '{{.Version}}' github.com/containernetworking/plugins@latest 2>/dev/null); then
    cni_version=$(find "$cni_cache_root" -maxdepth 1 -name 'cni-v1.*' -printf '%f\n' 2>/dev/null | sed 's/^cni-//' | sort -V | tail -1)
    [[ -n $cni_version ]] || die "cannot resolve the latest containernetworking/plugins (offline?) and none is cached; set CNI_PLUGINS_VERSION"
    log "module proxy unreachable: using the cached upstream CNI plugins $cni_version"
  fi
fi
[[ $cni_version =~ ^v1\.[0-9]+\.[0-9]+$ ]] || die "CNI_PLUGINS_VERSION=$cni_version: want v1.x.y"
cni_dir=$cni_cache_root/cni-$cni_version
if ! [[ -x $cni_dir/host-device && -x $cni_dir/tuning && -x $cni_dir/static ]]; then
  log "building host-device, tuning and static $cni_version into $cni_dir"
  mkdir -p "$cni_dir"
  (cd / && GOBIN=$cni_dir CGO_ENABLED=0 GOFLAGS= go install \
    "github.com/containernetworking/plugins/plugins/main/host-device@$cni_version" \
    "github.com/containernetworking/plugins/plugins/meta/tuning@$cni_version" \
    "github.com/containernetworking/plugins/plugins/ipam/static@$cni_version") ||
    die "building the upstream CNI plugins failed (see above)"
fi
debian_cni=$(dpkg-query -W -f '${Version}' containernetworking-plugins 2>/dev/null || echo unknown)

# --- control plane, plugin, benchmark binary ---------------------------------------------
control_plane=${NETCLAIM_BENCH_CONTROL_PLANE:-}
if [[ -z $control_plane ]]; then
  log "getting etcd and kube-apiserver from test/e2e/tools/build.sh (cached after the first build)"
  control_plane=$("$repo/test/e2e/tools/build.sh") || die "building the control plane failed (see above)"
fi
version=$(cd "$repo" && git describe --tags --always --dirty 2>/dev/null || echo devel)
log "building netclaim-plugin and the benchmarks into $out/bin"
(cd "$repo" && CGO_ENABLED=0 go build -ldflags "-X github.com/netclaim/netclaim/pkg/version.Version=$version" \
  -o "$out/bin/" ./cmd/netclaim-plugin) || die "building netclaim-plugin failed"
(cd "$here" && go test -c -o "$out/bin/bench.test" .) || die "building the benchmarks failed"

bench() {
  local name=$1
  shift
  log "running $name"
  (cd "$out" && "$out/bin/bench.test" -test.run '^$' -test.bench "^$name\$" -test.benchtime 1x -test.timeout 2h \
    -out "$out" -cni-upstream "$cni_dir" "$@" "${extra[@]}") >"$out/$name.log" 2>&1 ||
    { tail -30 "$out/$name.log" >&2; die "$name failed (log: $out/$name.log)"; }
}

# --- the run -------------------------------------------------------------------------------
tmpfs=$(stat -f -c %T "${TMPDIR:-/tmp}")
{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "netclaim=$version"
  echo "kernel=$(uname -r)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') x $(nproc)"
  echo "memory_gib=$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)"
  echo "go=$(go env GOVERSION)"
  echo "tmpdir_fs=$tmpfs"
  echo "cni_debian=$debian_cni"
  echo "cni_upstream=$cni_version"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/machine.kv"

bench BenchmarkAttach_Interleaved -rounds "$rounds"
echo "load_after_attach=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.kv"
# Diagnostic: what a durable file write just before the move adds to the move.
bench BenchmarkFloor_AfterFileWrite -rounds 150

# Counting pass: a short run under strace, with markers around every operation. Separate
# from the timed run: tracing slows every syscall.
log "counting sockets, setns calls and execs per operation (strace)"
mkdir -p "$out/strace"
(cd "$out" && strace -f -qq -o "$out/strace/trace.log" -e trace=socket,setns,execve,faccessat,faccessat2 \
  "$out/bin/bench.test" -test.run '^$' -test.bench '^BenchmarkAttach_Interleaved$' -test.benchtime 1x \
  -out "$out/strace" -cni-upstream "$cni_dir" -rounds 5 -warmup 1 -gap 1ms -markers "${extra[@]}") \
  >"$out/strace/run.log" 2>&1 || { tail -30 "$out/strace/run.log" >&2; die "the counting pass failed"; }
awk '
  /netclaim-bench-marker\// {
    match($0, /netclaim-bench-marker\/[^"]+/)
    split(substr($0, RSTART + 22, RLENGTH - 22), p, "/")
    if (p[3] == "begin") { cur = p[1] "_" p[2]; ops[cur]++ } else { cur = "" }
    next
  }
  cur == "" { next }
  / socket\(AF_NETLINK/ { n["netlink_sockets_per_" cur]++ }
  / setns\(/            { n["setns_per_" cur]++ }
  / execve\(/           { n["execs_per_" cur]++ }
  END {
    split("netlink_sockets_per_ setns_per_ execs_per_", kinds, " ")
    for (op in ops)
      for (i = 1; i <= 3; i++) { key = kinds[i] op; gsub(/-/, "_", key); printf "%s=%.1f\n", key, n[kinds[i] op] / ops[op] }
  }' "$out/strace/trace.log" | sort >"$out/syscalls.kv"

bench BenchmarkPrepare
bench BenchmarkDiscovery_8PF128VF
bench BenchmarkRescan_Unchanged
bench BenchmarkPluginRSS -control-plane "$control_plane" -plugin "$out/bin/netclaim-plugin"
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.kv"

# --- report --------------------------------------------------------------------------------
cat "$out"/machine.kv "$out"/attach.kv "$out"/filewrite.kv "$out"/syscalls.kv "$out"/prepare.kv \
  "$out"/discovery.kv "$out"/rescan.kv "$out"/rss.kv >"$out/all.kv"
echo "# all figures ($out/all.kv)"
cat "$out/all.kv"
echo
echo "# summary"
for key in floor_median_ms floor_p99_ms attach_median_ms attach_p99_ms attach_vs_floor attach_p99_vs_floor \
  attach_cpu_vs_floor detach_median_ms cni_hostdevice_median_ms attach_speedup discovery_1024vf_ms \
  prepare_median_ms prepare_100_ms rescan_api_writes plugin_rss_mib; do
  line=$(grep -m1 "^$key=" "$out/all.kv") || die "no figure $key in the results"
  echo "$line"
done
