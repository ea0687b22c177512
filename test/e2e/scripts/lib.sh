# shellcheck shell=bash disable=SC2034
# Shared by the scripts here (sourced, not run): names, paths, ports, process helpers.
# (SC2034: the settings are used by the scripts that source this file.)
# Every setting can be overridden from the environment:
#   NETCLAIM_E2E_RUN    run directory: state, logs, pid files     (/run/netclaim-e2e)
#   NETCLAIM_E2E_NAME   prefix of node names and network namespaces (nc: nc-node-1 ...)
#   NODES               number of simulated nodes                 (3)
#   NETCLAIM_E2E_{ETCD,ETCD_PEER,API,SCHEDULER,CONTROLLER_MANAGER}_PORT
#                       ports on 127.0.0.1 (22379, 22380, 26443, 20259, 20257): the usual
#                       ports plus 20000 / 10000, so a real cluster on this host is not hit.
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_ROOT=$(cd "$E2E_DIR/../.." && pwd)
# ensure_packages: each script installs the Debian packages it uses on first use.
source "$REPO_ROOT/hack/lib/ensure-packages.sh"
RUN=${NETCLAIM_E2E_RUN:-/run/netclaim-e2e}
NAME=${NETCLAIM_E2E_NAME:-nc}
NODES=${NODES:-3}
ETCD_PORT=${NETCLAIM_E2E_ETCD_PORT:-22379}
ETCD_PEER_PORT=${NETCLAIM_E2E_ETCD_PEER_PORT:-22380}
API_PORT=${NETCLAIM_E2E_API_PORT:-26443}
SCHEDULER_PORT=${NETCLAIM_E2E_SCHEDULER_PORT:-20259}
CONTROLLER_MANAGER_PORT=${NETCLAIM_E2E_CONTROLLER_MANAGER_PORT:-20257}
# A file that marks RUN as ours: cluster-down removes only a directory that has it.
RUN_MARKER=.netclaim-e2e-run
# The binaries cluster-up starts; cluster-down's safety net looks for exactly these.
PROCESS_NAMES=(etcd kube-apiserver kube-scheduler kube-controller-manager apiproxy netclaim-plugin nodeagent)

node_name() { echo "$NAME-node-$1"; }
# The node agent names the network namespaces of its pods <prefix><pod UID>: under the
# node's name, so a pod's namespace shows where it runs and cannot be mistaken for one
# made by anything else.
pod_netns_prefix() { echo "$NAME-node-$1-pod-"; }

log() { printf '[e2e %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
  printf '[e2e %s] ERROR: %s\n' "$(date +%T)" "$*" >&2
  exit 1
}

require_root() {
  [[ $(id -u) == 0 ]] || die "must run as root: it creates network namespaces and veth interfaces"
}

# check_run_dir refuses run directories that rm -rf must never see.
check_run_dir() {
  [[ $RUN == /* ]] || die "NETCLAIM_E2E_RUN must be an absolute path, got '$RUN'"
  case ${RUN%/} in
    "" | /run | /tmp | /var | /var/run | /root | /home | "$HOME" | /usr | /etc)
      die "NETCLAIM_E2E_RUN=$RUN is a system folder; use a folder of its own, e.g. /run/netclaim-e2e" ;;
  esac
  [[ $NAME =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ ]] || die "NETCLAIM_E2E_NAME must be a DNS label, got '$NAME'"
}

# --- processes (cluster-up.sh, restart-plugin.sh, cluster-down.sh) -----------------------
PLUGIN_V=${NETCLAIM_E2E_PLUGIN_V:-4}
TIMEOUT=${NETCLAIM_E2E_TIMEOUT:-90}

# owned_process PID DIR NAME...: whether pid runs one of the named binaries with the run
# directory DIR in its arguments (each of ours has it: data dir, kubeconfig, root dir ...).
# This guards against a pid file that outlived its process (a recycled pid) and keeps
# shells or editors that merely mention the path out of reach.
owned_process() {
  local pid=$1 dir=$2 exe cmdline name
  shift 2
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  name=$(basename "${exe% (deleted)}")
  [[ " $* " == *" $name "* ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$dir/"* ]]
}

# ours PID: whether pid is a process this cluster started.
ours() { owned_process "$1" "$RUN" "${PROCESS_NAMES[@]}"; }

# start_in DIR NAME CMD...: runs CMD detached (own session, so a Ctrl-C of the caller or its
# exit does not reach it), appending to DIR/logs/NAME.log (a restarted process keeps the log
# of the one before), pid in DIR/pids/NAME.pid. In a script there is no job control, so the
# background job is not a process group leader and setsid execs in place: $! is the process
# itself.
start_in() {
  local dir=$1 name=$2
  shift 2
  setsid "$@" </dev/null >>"$dir/logs/$name.log" 2>&1 &
  echo $! >"$dir/pids/$name.pid"
}

# start NAME CMD...: start_in the cluster's run directory.
start() { start_in "$RUN" "$@"; }

# start_plugin NODE: the node's netclaim-plugin, inside the node's network namespace.
# nsenter --net, not `ip netns exec`: the latter also unshares the mount namespace, so a
# pod namespace the agent bind-mounts under /run/netns would be invisible to the plugin
# and to cluster-down. The plugin shares the host's mounts, sees only the node's network,
# and reads its hardware from --host-root, not /sys.
start_plugin() {
  local node=$1 dir=$RUN/nodes/$1
  start "$node-plugin" nsenter --net="/run/netns/$node" "$RUN/bin/netclaim-plugin" --node-name "$node" \
    --host-root "$dir/root" --kubeconfig "$dir/kubeconfig" \
    --kubelet-registrar-dir "$dir/plugins_registry" --kubelet-plugins-dir "$dir/plugins" \
    --state-dir "$dir/state" --cdi-dir "$dir/cdi" --nri-socket "$dir/nri.sock" --v "$PLUGIN_V"
}

# fail_showing_log DIR LINES HINT NAME MESSAGE...: dies, showing the last LINES lines of
# DIR/logs/NAME.log, with HINT (how to clean up) after the message.
fail_showing_log() {
  local dir=$1 lines=$2 hint=$3 name=$4
  shift 4
  {
    echo "---- last lines of $dir/logs/$name.log"
    tail -n "$lines" "$dir/logs/$name.log" 2>/dev/null || true
    echo "----"
  } >&2
  die "$* (log: $dir/logs/$name.log; $hint)"
}

# fail NAME MESSAGE: dies, showing the end of NAME's log.
fail() { fail_showing_log "$RUN" 25 "stop what started with test/e2e/scripts/cluster-down.sh" "$@"; }

# wait_while_running DIR FAIL NAME WHAT CMD...: retries CMD every 0.2 s for TIMEOUT seconds
# while the process of DIR/pids/NAME.pid is alive; calls FAIL NAME MESSAGE when it exits or
# time is up.
wait_while_running() {
  local dir=$1 fail_fn=$2 name=$3 what=$4 deadline=$((SECONDS + TIMEOUT))
  shift 4
  until "$@" >/dev/null 2>&1; do
    kill -0 "$(cat "$dir/pids/$name.pid")" 2>/dev/null || "$fail_fn" "$name" "$name exited while waiting for $what"
    ((SECONDS < deadline)) || "$fail_fn" "$name" "$what: not ready after ${TIMEOUT}s"
    sleep 0.2
  done
}

# wait_until NAME WHAT CMD...: retries CMD every 0.2 s for TIMEOUT seconds while NAME's
# process is alive.
wait_until() { wait_while_running "$RUN" fail "$@"; }

# stop_owned OWNED SAY PID...: sends SIGTERM to every pid for which `OWNED PID` succeeds,
# waits up to 10 s for them to exit (the plugin removes its sockets, etcd syncs, kubelet
# and containerd clean up), then SIGKILLs what is left and reports that through SAY.
# OWNED, not kill -0, tells whether one still runs: a zombie (exited, not yet reaped) no
# longer has an exe link.
stop_owned() {
  local owned=$1 say=$2 pids=() pid alive
  shift 2
  for pid in "$@"; do
    "$owned" "$pid" && pids+=("$pid")
  done
  [[ ${#pids[@]} -gt 0 ]] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 100); do
    alive=()
    for pid in "${pids[@]}"; do "$owned" "$pid" && alive+=("$pid"); done
    [[ ${#alive[@]} -eq 0 ]] && return 0
    sleep 0.1
  done
  "$say" "killing processes that ignored SIGTERM for 10 s: ${alive[*]}"
  kill -KILL "${alive[@]}" 2>/dev/null || true
}

# --- make e2e, make e2e-node ----------------------------------------------------------------

# show_log_tails LINES ARTIFACTS FILE...: prints the last LINES lines of each FILE that
# exists, pointing to the full copies in ARTIFACTS/logs.
show_log_tails() {
  local lines=$1 artifacts=$2 f
  shift 2
  for f in "$@"; do
    [[ -f $f ]] || continue
    echo "---- last $lines lines of $f (all of it: $artifacts/logs/)"
    tail -n "$lines" "$f"
  done
  echo "----"
}

# report_and_exit WHAT RC ARTIFACTS STARTED: prints the measurements in
# ARTIFACTS/results.txt (when there is one) and whether the run WHAT, started at SECONDS
# STARTED, passed; then exits with RC.
report_and_exit() {
  local what=$1 rc=$2 artifacts=$3 started=$4
  if [[ -f $artifacts/results.txt ]]; then
    log "results:"
    sed 's/^/    /' "$artifacts/results.txt" >&2
  fi
  if [[ $rc == 0 ]]; then
    log "$what PASSED in $((SECONDS - started)) s (logs: $artifacts/logs)"
  else
    log "$what FAILED (exit $rc) after $((SECONDS - started)) s (logs: $artifacts/logs)"
  fi
  exit "$rc"
}
