#!/usr/bin/env bash
# `make demo`: netclaim end to end on a local cluster (see cluster-up.sh). Starts the
# cluster, applies demo/ (DeviceClasses as networks, claims and templates, pods), waits for
# the pods, and prints for each pod its node, the devices its claims got and its interfaces
# as the kernel sees them inside the pod's network namespace (test/e2e/cmd/demo-show). As a
# bonus it prints what one simulated node publishes (netclaimctl inventory).
#
# The cluster stays up for exploring (DEMO_KEEP=1, the default), with instructions; with
# DEMO_KEEP=0 it is torn down at the end, also when something failed. Settings: see lib.sh
# and cluster-up.sh, plus DEMO_KEEP and NETCLAIM_DEMO_TIMEOUT (seconds to wait for the
# pods, default 120).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
KEEP=${DEMO_KEEP:-1}
POD_TIMEOUT=${NETCLAIM_DEMO_TIMEOUT:-120}
DEMO_DIR=$REPO_ROOT/demo
SELECTOR=app.kubernetes.io/part-of=netclaim-demo
require_root
check_run_dir
started=$SECONDS

finish() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ $KEEP == 0 ]]; then
    log "DEMO_KEEP=0: tearing the cluster down"
    "$E2E_DIR/scripts/cluster-down.sh" || rc=1
  elif [[ $rc != 0 && -d $RUN ]]; then
    log "the demo failed; the cluster is left up to look at: logs in $RUN/logs, stop it with: make cluster-down"
  fi
  [[ $rc == 0 ]] && log "demo done in $((SECONDS - started)) s"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "1/4 starting the local cluster (the first run builds the control plane: 8-20 min, progress below)"
eval "$("$E2E_DIR/scripts/cluster-up.sh")"
(cd "$E2E_DIR" && CGO_ENABLED=0 go build -o "$RUN/bin/" ./cmd/demo-show) || die "building demo-show failed (see above)"

log "2/4 applying demo/: networks as DeviceClasses, claims and templates, pods"
kubectl apply -f "$DEMO_DIR/deviceclasses.yaml" -f "$DEMO_DIR/claims.yaml" -f "$DEMO_DIR/pods.yaml"

log "3/4 waiting up to ${POD_TIMEOUT}s for the pods to run"
if ! kubectl wait --for=jsonpath='{.status.phase}'=Running pod -l "$SELECTOR" --timeout="${POD_TIMEOUT}s"; then
  kubectl get pods -l "$SELECTOR" -o wide >&2 || true
  kubectl get events --sort-by=.lastTimestamp >&2 || true
  die "the demo pods did not all start"
fi

log "4/4 where each pod runs, what it got, and its interfaces as seen inside its network namespace"
echo
"$RUN/bin/demo-show" -l "$SELECTOR"

# Bonus: what one node publishes, from the same synthetic tree its plugin reads. netclaimctl
# is optional here: the demo has shown what matters if it does not build.
node=$(node_name 1)
if (cd "$REPO_ROOT" && CGO_ENABLED=0 go build -o "$RUN/bin/" ./cmd/netclaimctl) 2>/dev/null; then
  echo "== What $node publishes (netclaimctl inventory --host-root $RUN/nodes/$node/root)"
  "$RUN/bin/netclaimctl" inventory --host-root "$RUN/nodes/$node/root" --node "$node" -o table ||
    log "netclaimctl inventory failed (see above); the demo itself worked"
  echo
else
  log "skipping the inventory of $node: cmd/netclaimctl does not build right now"
fi

if [[ $KEEP != 0 ]]; then
  cat <<EOF
The cluster stays up. In your shell:
  eval "\$(cat $RUN/env.sh)"       # KUBECONFIG and PATH (kubectl, demo-show)
  kubectl get pods -o wide
  kubectl get resourceclaims -o yaml    # allocation, and status.devices with networkData
  kubectl get resourceslices -o yaml    # what each node publishes
  demo-show                             # this summary again
  nsenter --net=/var/run/netns/<node>-pod-<uid prefix> ip addr   # a pod's namespace
  kubectl delete pod dataplane          # the VFs go back to their node: ip -n <node> link
Logs: $RUN/logs/. Stop everything: make cluster-down
EOF
fi
