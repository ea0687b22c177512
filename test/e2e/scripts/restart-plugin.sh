#!/usr/bin/env bash
# Restarts the netclaim-plugin of one node of the running e2e cluster the way cluster-up.sh
# started it, as a DaemonSet would after a crash, and waits until the node agent (kubelet +
# runtime stand-in) has it back on both protocols: NRI connected and synchronized, and the
# DRA driver registered again.
#
#   test/e2e/scripts/restart-plugin.sh [--kill] NODE
#
# Without --kill the old plugin must already be gone (the e2e suite kills it with SIGKILL
# itself); with --kill this script sends the SIGKILL first: a crash, no cleanup, sockets
# and checkpoint left as they were. The new plugin appends to the same log file.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
kill_first=0
if [[ ${1:-} == --kill ]]; then
  kill_first=1
  shift
fi
[[ $# == 1 ]] || die "usage: $0 [--kill] NODE"
node=$1
require_root
check_run_dir
[[ -d $RUN/nodes/$node && -x $RUN/bin/netclaim-plugin ]] || die "no node $node in the cluster at $RUN (is it up?)"

pidfile=$RUN/pids/$node-plugin.pid
old=$(cat "$pidfile" 2>/dev/null || true)
if [[ -n $old ]] && ours "$old"; then
  [[ $kill_first == 1 ]] || die "the plugin of $node is still running (pid $old); stop it first or pass --kill"
  kill -KILL "$old"
  # ours, not kill -0: a zombie no longer has an exe link.
  for _ in $(seq 1 50); do ours "$old" || break; sleep 0.1; done
  ! ours "$old" || die "the plugin of $node (pid $old) survived SIGKILL"
fi

# The agent logs one line of each per plugin connection; a new line of each means the new
# plugin is in. Counted before the start, so a fast plugin is not missed.
agent_log=$RUN/logs/$node-agent.log
nri_line='plugin \"10-netclaim\" connected and synchronized'
dra_line='"DRA driver registered"'
count() { grep -cF -- "$1" "$agent_log" 2>/dev/null || true; }
more_than() { (($(count "$1") > $2)); }
nri_before=$(count "$nri_line")
dra_before=$(count "$dra_line")

echo "==== $(date -u +%FT%TZ) restarted by restart-plugin.sh" >>"$RUN/logs/$node-plugin.log"
start_plugin "$node"
log "restarted the plugin of $node (pid $(cat "$pidfile"))"
if [[ -f $RUN/pids/$node-agent.pid ]]; then
  wait_until "$node-plugin" "NRI connection of $node's plugin" more_than "$nri_line" "$nri_before"
  wait_until "$node-plugin" "DRA registration of $node's plugin" more_than "$dra_line" "$dra_before"
fi
log "the plugin of $node is connected to its node agent"
