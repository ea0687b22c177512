#!/usr/bin/env bash
# Stops everything cluster-up.sh started and removes what it created: the processes (from
# their pid files, then any process of ours still running with the run directory in its
# command line), the network namespaces of the nodes and of their pods (with the veths in
# them), and the run directory. Idempotent: safe to run when nothing, or half a cluster,
# is there. Settings: see lib.sh (NETCLAIM_E2E_RUN, NETCLAIM_E2E_NAME).
#   test/e2e/scripts/cluster-down.sh [--quiet]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
quiet=0
[[ ${1:-} == --quiet ]] && quiet=1
say() { [[ $quiet == 1 ]] || log "$@"; }
require_root
check_run_dir
ensure_packages iproute2  # ip netns

# stop_all PID...: stops every given process of ours (see stop_owned in lib.sh).
stop_all() { stop_owned ours say "$@"; }

pids_of() {
  local f
  for f in "$@"; do
    [[ -f $f ]] && cat "$f"
  done
  return 0
}

# The pid lists below are split into words on purpose.
# shellcheck disable=SC2046
if [[ -d $RUN/pids ]]; then
  say "stopping the cluster in $RUN"
  shopt -s nullglob
  # Nodes first (they talk to the API server while stopping), then the control plane
  # from the top down, etcd last.
  stop_all $(pids_of "$RUN"/pids/*-agent.pid "$RUN"/pids/*-plugin.pid)
  stop_all $(pids_of "$RUN"/pids/apiproxy.pid "$RUN"/pids/kube-controller-manager.pid "$RUN"/pids/kube-scheduler.pid)
  stop_all $(pids_of "$RUN"/pids/kube-apiserver.pid)
  stop_all $(pids_of "$RUN"/pids/etcd.pid)
  shopt -u nullglob
fi

# Safety net: processes whose pid file is gone (a cluster-up killed half-way).
leftover=()
for d in /proc/[0-9]*; do
  pid=${d#/proc/}
  [[ $pid == "$$" ]] && continue
  ours "$pid" && leftover+=("$pid")
done
if [[ ${#leftover[@]} -gt 0 ]]; then
  say "stopping leftover processes of $RUN: ${leftover[*]}"
  stop_all "${leftover[@]}"
fi

# Node and pod network namespaces; deleting one destroys the veths inside it.
for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
  if [[ $ns =~ ^$NAME-node-[0-9]+(-pod-.+)?$ ]]; then
    say "deleting network namespace $ns"
    ip netns delete "$ns" || log "could not delete network namespace $ns"
  fi
done

if [[ -e $RUN ]]; then
  if [[ -f $RUN/$RUN_MARKER ]]; then
    rm -rf "$RUN"
    say "removed $RUN"
  elif [[ -d $RUN && -z $(ls -A "$RUN") ]]; then
    rmdir "$RUN"
  else
    die "$RUN exists but was not made by cluster-up ($RUN_MARKER missing); not removing it"
  fi
fi
say "cluster is down"
