#!/usr/bin/env bash
# `make e2e-node`: netclaim on a REAL node. Starts the local control plane (cluster-up.sh,
# with one simulated node by default), a kubelet v1.37 + containerd 1.7 node joined to it
# (node-up.sh), installs netclaim from its Helm chart with the plugin image built by `make image` (as a
# user would, with a values file for this node's paths), runs the Go suite in
# test/e2e/nodesuite against it, and always tears everything down again: pods first (so
# kubelet runs netclaim's NRI hooks and unprepare), then the chart, the node (node-down.sh
# restores the host and checks it against a listing taken before) and the control plane.
#
# It uses a run directory, ports and names of its own (below), so it can run next to
# `make e2e`. Logs, rendered values and results.txt (the measurements) are copied to
# NETCLAIM_E2E_ARTIFACTS (default /tmp/netclaim-e2e-node-artifacts) before the teardown.
# Settings: see lib.sh and node-lib.sh, plus
#   NETCLAIM_E2E_SUITE_TIMEOUT=D  go test -timeout (default 20m)
#   NETCLAIM_E2E_RUN_TESTS=REGEX  go test -run;  NETCLAIM_E2E_SKIP_TESTS=REGEX  go test -skip
#   NODES=N                       simulated nodes next to the real one (default 1; the
#                                 DaemonSet is pinned to the real node by its label)
set -euo pipefail
export NETCLAIM_E2E_RUN=${NETCLAIM_E2E_RUN:-/run/netclaim-e2e-node}
export NETCLAIM_E2E_NAME=${NETCLAIM_E2E_NAME:-ncr}
export NETCLAIM_E2E_ETCD_PORT=${NETCLAIM_E2E_ETCD_PORT:-23379}
export NETCLAIM_E2E_ETCD_PEER_PORT=${NETCLAIM_E2E_ETCD_PEER_PORT:-23380}
export NETCLAIM_E2E_API_PORT=${NETCLAIM_E2E_API_PORT:-27443}
export NETCLAIM_E2E_SCHEDULER_PORT=${NETCLAIM_E2E_SCHEDULER_PORT:-21259}
export NETCLAIM_E2E_CONTROLLER_MANAGER_PORT=${NETCLAIM_E2E_CONTROLLER_MANAGER_PORT:-21257}
export NODES=${NODES:-1}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/node-lib.sh"
ARTIFACTS=${NETCLAIM_E2E_ARTIFACTS:-/tmp/netclaim-e2e-node-artifacts}
SUITE_TIMEOUT=${NETCLAIM_E2E_SUITE_TIMEOUT:-20m}
IMAGES=$REPO_ROOT/bin/e2e-node
PLUGIN_IMAGE=ghcr.io/netclaim/netclaim:e2e-node
# The chart's objects are named after the release. Simulated nodes (NODES>0) have the
# identity of deployments/manifests/rbac.yaml, named netclaim: the release must not clash.
RELEASE=netclaim
((NODES == 0)) || RELEASE=netclaim-node
NAMESPACE=kube-system
require_root
check_run_dir
check_node_run_dir
started=$SECONDS
mkdir -p "$ARTIFACTS"
rm -rf "$ARTIFACTS/logs" "$ARTIFACTS/results.txt" "$ARTIFACTS/values.yaml"
: >"$ARTIFACTS/results.txt"
phase() { echo "e2e-node phase: $1 $2 s" >>"$ARTIFACTS/results.txt"; }

KUBECTL=
kubectl() { "$KUBECTL" --kubeconfig "$RUN/kubeconfig" "$@"; }
HELM=
helm() {
  HELM_CONFIG_HOME=$NODE_RUN/helm/config HELM_CACHE_HOME=$NODE_RUN/helm/cache HELM_DATA_HOME=$NODE_RUN/helm/data \
    "$HELM" --kubeconfig "$RUN/kubeconfig" "$@"
}

show_logs() {
  show_log_tails 30 "$ARTIFACTS" "$NODE_RUN/logs/kubelet.log" "$NODE_RUN/logs/containerd.log" \
    "$NODE_RUN"/pod-logs/"$NAMESPACE"_"$RELEASE"-*/*/*.log
}

# stop_workloads deletes every pod on the node but the plugin's, and waits: kubelet stops
# their sandboxes (netclaim's NRI hooks restore the NICs) and unprepares their claims
# while the plugin still runs. Then the chart goes.
stop_workloads() {
  [[ -n $KUBECTL && -f $RUN/kubeconfig ]] || return 0
  local ns
  for ns in $(kubectl get namespaces -o name 2>/dev/null | sed 's|namespace/||'); do
    case $ns in "$NAMESPACE" | default | kube-public | kube-node-lease) continue ;; esac
    kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  done
  local deadline=$((SECONDS + 120))
  while ((SECONDS < deadline)); do
    [[ -z $(kubectl get pods -A --field-selector "spec.nodeName=$NODE_NAME" -o name -l "app.kubernetes.io/instance!=$RELEASE" 2>/dev/null) ]] && break
    sleep 1
  done
  if [[ -n $HELM ]] && helm status "$RELEASE" -n "$NAMESPACE" >/dev/null 2>&1; then
    helm uninstall "$RELEASE" -n "$NAMESPACE" --wait --timeout 2m >/dev/null || log "helm uninstall $RELEASE failed"
  fi
}

finish() {
  local rc=$?
  trap - EXIT INT TERM
  mkdir -p "$ARTIFACTS/logs"
  [[ -d $RUN/logs ]] && cp -r "$RUN/logs" "$ARTIFACTS/logs/control-plane"
  [[ -d $NODE_RUN/logs ]] && cp -r "$NODE_RUN/logs" "$ARTIFACTS/logs/node"
  [[ -d $NODE_RUN/pod-logs ]] && cp -rL "$NODE_RUN/pod-logs" "$ARTIFACTS/logs/pods" 2>/dev/null
  [[ $rc == 0 ]] || show_logs >&2
  log "6/6 tearing down: workloads, chart, node, control plane"
  stop_workloads
  "$E2E_DIR/scripts/node-down.sh" || rc=1
  "$E2E_DIR/scripts/cluster-down.sh" || rc=1
  report_and_exit e2e-node "$rc" "$ARTIFACTS" "$started"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t=$SECONDS
log "1/6 building the plugin image, the test images and helm (cached after the first run)"
mkdir -p "$IMAGES"
make -s -C "$REPO_ROOT" image IMAGE="$PLUGIN_IMAGE" IMAGE_TAR="$IMAGES/netclaim.tar" >&2
test_images=$("$REPO_ROOT/hack/image/build-test-images.sh" "$IMAGES")
eval "$test_images"
HELM=$("$REPO_ROOT/hack/helm/build.sh")
phase "images+helm" $((SECONDS - t))

t=$SECONDS
log "2/6 starting the control plane (the first run builds it and the kubelet: 8-20 min)"
# Assigned first: eval "$(cmd)" would carry on when cmd fails.
cluster_env=$("$E2E_DIR/scripts/cluster-up.sh")
eval "$cluster_env"
# type -P: the binary on the PATH cluster-up.sh set (command -v would name the function).
KUBECTL=$(type -P kubectl)
phase "control plane" $((SECONDS - t))

t=$SECONDS
log "3/6 starting the real node $NODE_NAME"
node_env=$(NETCLAIM_NODE_PAUSE_IMAGE=$PAUSE_IMAGE "$E2E_DIR/scripts/node-up.sh" "$PAUSE_IMAGE_TAR" "$BUSYBOX_IMAGE_TAR" "$IMAGES/netclaim.tar")
eval "$node_env"
phase "node (containerd + kubelet Ready)" $((SECONDS - t))

t=$SECONDS
log "4/6 installing netclaim from deployments/helm/netclaim (release $RELEASE)"
# What a user of such a node writes: its paths, the image they imported, the host links
# that are not for pods. The node runs no kube-proxy, so the plugin reaches the API server
# directly (hostNetwork) instead of through the kubernetes Service.
mkdir -p "$NODE_RUN/helm"
cat >"$NODE_RUN/values.yaml" <<VALUES
image:
  repository: ${PLUGIN_IMAGE%:*}
  tag: ${PLUGIN_IMAGE##*:}
  pullPolicy: Never
kubeletDir: $NODE_RUN/kubelet
cdiDir: $NODE_RUN/cdi
nriSocket: $NODE_RUN/nri/nri.sock
stateDir: $NODE_RUN/netclaim
netnsDirs:
- $NODE_RUN/containerd/state/io.containerd.grpc.v1.cri/netns
# 4: the suite reads each attach's duration from the plugin's log.
logLevel: 4
# The test NICs' veth peers, the node address's veth and the host's ifb devices are not
# for pods.
excludeDevices: ["$NIC_PEER_PREFIX*", "$ADDR_LINK", "$ADDR_PEER", "ifb*"]
extraEnv:
- {name: KUBERNETES_SERVICE_HOST, value: "127.0.0.1"}
- {name: KUBERNETES_SERVICE_PORT, value: "$API_PORT"}
nodeSelector:
  netclaim.dev/real-node: "true"
VALUES
cp "$NODE_RUN/values.yaml" "$ARTIFACTS/values.yaml"
helm install "$RELEASE" "$REPO_ROOT/deployments/helm/netclaim" -n "$NAMESPACE" -f "$NODE_RUN/values.yaml" \
  --wait --timeout 3m >"$NODE_RUN/logs/helm-install.log" 2>&1 || {
  cat "$NODE_RUN/logs/helm-install.log" >&2
  kubectl -n "$NAMESPACE" describe pods -l "app.kubernetes.io/instance=$RELEASE" >&2 || true
  die "helm install failed"
}
has_nics() {
  local names
  names=$(kubectl get resourceslices --field-selector "spec.nodeName=$NODE_NAME" -o jsonpath='{.items[*].spec.devices[*].attributes.ifName.string}')
  grep -qw "${NIC_PREFIX}0" <<<"$names"
}
deadline=$((SECONDS + TIMEOUT))
until has_nics; do
  ((SECONDS < deadline)) || die "netclaim published no ${NIC_PREFIX}0 on $NODE_NAME within ${TIMEOUT}s"
  sleep 0.5
done
log "netclaim publishes: $(kubectl get resourceslices --field-selector "spec.nodeName=$NODE_NAME" -o jsonpath='{.items[*].spec.devices[*].attributes.ifName.string}')"
phase "helm install -> ResourceSlices" $((SECONDS - t))

t=$SECONDS
log "5/6 running the real-node suite (go test ./nodesuite)"
select=()
[[ -z ${NETCLAIM_E2E_RUN_TESTS:-} ]] || select+=(-run "$NETCLAIM_E2E_RUN_TESTS")
[[ -z ${NETCLAIM_E2E_SKIP_TESTS:-} ]] || select+=(-skip "$NETCLAIM_E2E_SKIP_TESTS")
(cd "$E2E_DIR" && NETCLAIM_E2E_RESULTS="$ARTIFACTS/results.txt" NETCLAIM_NODE_BUSYBOX_IMAGE="$BUSYBOX_IMAGE" \
  NETCLAIM_NODE_PLUGIN_SELECTOR="app.kubernetes.io/instance=$RELEASE" \
  go test -count=1 -v -timeout "$SUITE_TIMEOUT" "${select[@]}" ./nodesuite/)
phase "suite" $((SECONDS - t))
