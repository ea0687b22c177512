#!/usr/bin/env bash
# `make e2e`: starts the local cluster, runs the Go e2e suite (test/e2e/suite) against it,
# and always tears it down again: on success, on failure and on Ctrl-C.
#
# Before the teardown the cluster's logs are copied to the artifacts directory
# (NETCLAIM_E2E_ARTIFACTS, default /tmp/netclaim-e2e-artifacts: logs/, results.txt with
# the suite's measurements); when anything failed, the end of every node's plugin and agent
# log is printed too. Settings: see lib.sh and cluster-up.sh, plus
#   NETCLAIM_E2E_ARTIFACTS=DIR    where logs and results are kept
#   NETCLAIM_E2E_SUITE_TIMEOUT=D  go test -timeout (default 30m)
#   NETCLAIM_E2E_RUN_TESTS=REGEX  go test -run, to run some scenarios only
#   NETCLAIM_E2E_SKIP_TESTS=REGEX go test -skip, to leave some out
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ARTIFACTS=${NETCLAIM_E2E_ARTIFACTS:-/tmp/netclaim-e2e-artifacts}
SUITE_TIMEOUT=${NETCLAIM_E2E_SUITE_TIMEOUT:-30m}
require_root
check_run_dir
started=$SECONDS

# Only what this script puts there is replaced; the directory may be shared.
mkdir -p "$ARTIFACTS"
rm -rf "$ARTIFACTS/logs" "$ARTIFACTS/results.txt"

# show_node_logs prints the end of the plugin and agent logs of every node.
show_node_logs() { show_log_tails 40 "$ARTIFACTS" "$RUN"/logs/*-plugin.log "$RUN"/logs/*-agent.log; }

finish() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -d $RUN/logs ]]; then
    cp -r "$RUN/logs" "$ARTIFACTS/"
    [[ $rc == 0 ]] || show_node_logs >&2
  fi
  log "3/3 tearing the cluster down"
  "$E2E_DIR/scripts/cluster-down.sh" || rc=1
  report_and_exit e2e "$rc" "$ARTIFACTS" "$started"
}
trap finish EXIT
# A signal ends the script through the EXIT trap, so the cluster still goes down.
trap 'exit 130' INT
trap 'exit 143' TERM

log "1/3 starting the cluster (the first run builds the control plane: 8-20 min)"
env_lines=$("$E2E_DIR/scripts/cluster-up.sh")
eval "$env_lines"

log "2/3 running the e2e suite (go test ./suite)"
select=()
[[ -z ${NETCLAIM_E2E_RUN_TESTS:-} ]] || select+=(-run "$NETCLAIM_E2E_RUN_TESTS")
[[ -z ${NETCLAIM_E2E_SKIP_TESTS:-} ]] || select+=(-skip "$NETCLAIM_E2E_SKIP_TESTS")
(cd "$E2E_DIR" && NETCLAIM_E2E_RUN="$RUN" NETCLAIM_E2E_RESULTS="$ARTIFACTS/results.txt" \
  go test -count=1 -v -timeout "$SUITE_TIMEOUT" "${select[@]}" ./suite/)
