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

# ours reports whether pid is a process this cluster started: one of our binaries, with the
# run directory in its arguments (each has it: data dir, kubeconfig, host root ...). This
# guards against a pid file that outlived its process (a recycled pid) and keeps shells or
# editors that merely mention the path out of reach.
ours() {
  local pid=$1 exe cmdline name
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  name=$(basename "${exe% (deleted)}")
  [[ " ${PROCESS_NAMES[*]} " == *" $name "* ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$RUN/"* ]]
}

# start NAME CMD...: runs CMD detached (own session, so a Ctrl-C of the caller or its exit
# does not reach it), appending to logs/NAME.log (a restarted process keeps the log of the
# one before), pid in pids/NAME.pid. In a script there is no job control, so the background
# job is not a process group leader and setsid execs in place: $! is the process itself.
start() {
  local name=$1
  shift
  setsid "$@" </dev/null >>"$RUN/logs/$name.log" 2>&1 &
  echo $! >"$RUN/pids/$name.pid"
}

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

# fail NAME MESSAGE: dies, showing the end of NAME's log.
fail() {
  local name=$1
  shift
  {
    echo "---- last lines of $RUN/logs/$name.log"
    tail -n 25 "$RUN/logs/$name.log" 2>/dev/null || true
    echo "----"
  } >&2
  die "$* (log: $RUN/logs/$name.log; stop what started with test/e2e/scripts/cluster-down.sh)"
}

# wait_until NAME WHAT CMD...: retries CMD every 0.2 s for TIMEOUT seconds while NAME's
# process is alive.
wait_until() {
  local name=$1 what=$2 deadline=$((SECONDS + TIMEOUT))
  shift 2
  until "$@" >/dev/null 2>&1; do
    kill -0 "$(cat "$RUN/pids/$name.pid")" 2>/dev/null || fail "$name" "$name exited while waiting for $what"
    ((SECONDS < deadline)) || fail "$name" "$what: not ready after ${TIMEOUT}s"
    sleep 0.2
  done
}
