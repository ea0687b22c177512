# Shared by cluster-up.sh and cluster-down.sh (sourced, not run): names, paths, ports.
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
