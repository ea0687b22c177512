#!/usr/bin/env bash
# Starts a local Kubernetes cluster for netclaim's e2e tests and demo, without containers:
#
#   control plane  etcd, kube-apiserver (RBAC, token auth), kube-scheduler,
#                  kube-controller-manager, built from the Go module proxy by
#                  test/e2e/tools/build.sh (cached; the first build takes 8-17 min)
#   NODES nodes    (default 3) each: a Node object; a network namespace <name>-node-<i>
#                  holding veth pairs that stand in for its NICs and SR-IOV VFs; a synthetic
#                  sysfs tree describing them (test/e2e/cmd/mknode); a netclaim-plugin and,
#                  when it builds, a node agent (kubelet + runtime stand-in), both inside the
#                  node's namespace, the plugin with its own ServiceAccount token.
#
# Everything listens on 127.0.0.1 only. State, logs and pid files go to the run directory
# (NETCLAIM_E2E_RUN, default /run/netclaim-e2e); cluster-down.sh removes it all. A leftover
# cluster (e.g. after a crash) is torn down first, so re-running is always safe.
#
# stdout is only lines a shell can eval:  eval "$(test/e2e/scripts/cluster-up.sh)"
# Progress and the summary go to stderr. Settings: see lib.sh, plus
#   NETCLAIM_E2E_AGENT=0        do not start node agents
#   NETCLAIM_E2E_PLUGIN_V=N     plugin log verbosity (default 4)
#   NETCLAIM_E2E_TIMEOUT=S      seconds to wait for each component to be ready (default 90)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
AGENT=${NETCLAIM_E2E_AGENT:-1}
TOKEN_DURATION=${NETCLAIM_E2E_TOKEN_DURATION:-48h}
# On by default in 1.37 or harmless to name; listed so alpha DRA features the suite uses
# stay on if their defaults change. Scheduler and controller-manager get the same list.
FEATURE_GATES=${NETCLAIM_E2E_FEATURE_GATES:-DynamicResourceAllocation=true,DRAConsumableCapacity=true,DRAResourceClaimDeviceStatus=true,DRADeviceTaints=true,DRADeviceTaintRules=true,DRAPrioritizedList=true,DRAPartitionableDevices=true,DRAAdminAccess=true,DRAExtendedResource=true,DRADeviceBindingConditions=true,DRAListTypeAttributes=true}

require_root
check_run_dir
# NODES=0: the control plane alone, e.g. for the real node of make e2e-node (node-up.sh).
[[ $NODES =~ ^(0|[1-9][0-9]?)$ ]] || die "NODES must be 0..99, got '$NODES'"
# ip, ss: iproute2; nsenter, setsid, flock: util-linux; keys: openssl; readiness probes: curl.
ensure_packages iproute2 util-linux openssl curl
command -v go >/dev/null || die "go is required (Go 1.26 or newer, https://go.dev/dl)"
started=$SECONDS

if [[ -e $RUN ]]; then
  log "a previous cluster left $RUN behind: tearing it down first"
  "$E2E_DIR/scripts/cluster-down.sh"
else
  # Stray processes or namespaces without a run directory are cleaned up quietly.
  "$E2E_DIR/scripts/cluster-down.sh" --quiet
fi

for port in "$ETCD_PORT" "$ETCD_PEER_PORT" "$API_PORT" "$SCHEDULER_PORT" "$CONTROLLER_MANAGER_PORT"; do
  if [[ -n $(ss -Hltn "sport = :$port") ]]; then
    die "port $port on this host is in use; choose others with NETCLAIM_E2E_*_PORT (see test/e2e/scripts/lib.sh)"
  fi
done

# --- binaries -------------------------------------------------------------------------
CP_BIN=$("$E2E_DIR/tools/build.sh")
KUBECTL=$CP_BIN/kubectl
mkdir -p "$RUN"/{bin,pki,certs,logs,pids,nodes,etcd}
touch "$RUN/$RUN_MARKER"
version=$(cd "$REPO_ROOT" && git describe --tags --always --dirty 2>/dev/null || echo devel)
# The plugin and the helpers serve the simulated nodes only (NODES=0: none).
((NODES > 0)) && log "building netclaim-plugin and the e2e helpers into $RUN/bin (2-3 min with a cold Go build cache)"
((NODES == 0)) || (cd "$REPO_ROOT" && CGO_ENABLED=0 go build -ldflags "-X github.com/netclaim/netclaim/pkg/version.Version=$version" \
  -o "$RUN/bin/" ./cmd/netclaim-plugin) || die "building netclaim-plugin failed (see above)"
((NODES == 0)) || (cd "$E2E_DIR" && CGO_ENABLED=0 go build -o "$RUN/bin/" ./cmd/mknode ./cmd/apiproxy) || die "building the e2e helpers failed (see above)"
if ((NODES > 0)) && [[ $AGENT == 1 && -d $E2E_DIR/cmd/nodeagent ]]; then
  (cd "$E2E_DIR" && CGO_ENABLED=0 go build -o "$RUN/bin/" ./cmd/nodeagent) || die "building the node agent failed (see above); NETCLAIM_E2E_AGENT=0 starts the cluster without agents"
fi

# --- helpers (start, fail, wait_until: lib.sh) -------------------------------------
kubectl() { "$KUBECTL" --kubeconfig "$RUN/kubeconfig" "$@"; }

# --- credentials ----------------------------------------------------------------------
openssl genrsa -out "$RUN/pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$RUN/pki/sa.key" -pubout -out "$RUN/pki/sa.pub" 2>/dev/null
admin_token=$(openssl rand -hex 24)
echo "$admin_token,admin,admin-uid,system:masters" >"$RUN/pki/tokens.csv"
chmod 600 "$RUN/pki/tokens.csv"
# write_kubeconfig FILE USER TOKEN. The API server generates a self-signed certificate
# (with its CA) for 127.0.0.1 in certs/ on first start; clients trust exactly that.
write_kubeconfig() {
  (umask 077 && cat >"$1" <<KC)
apiVersion: v1
kind: Config
clusters:
- name: netclaim-e2e
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $RUN/certs/apiserver.crt
users:
- name: $2
  user:
    token: $3
contexts:
- name: netclaim-e2e
  context: {cluster: netclaim-e2e, user: $2}
current-context: netclaim-e2e
KC
}
write_kubeconfig "$RUN/kubeconfig" admin "$admin_token"

# --- control plane --------------------------------------------------------------------
log "starting etcd on 127.0.0.1:$ETCD_PORT"
start etcd "$CP_BIN/etcd" --name netclaim-e2e --data-dir "$RUN/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "netclaim-e2e=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync --log-level warn
wait_until etcd "etcd health" curl -sf "http://127.0.0.1:$ETCD_PORT/health"

log "starting kube-apiserver on 127.0.0.1:$API_PORT"
# --endpoint-reconciler-type none: the default reconciler refuses a loopback advertise
# address. TaintNodesByCondition would taint the simulated Nodes not-ready at creation.
# InternalIP first: the real node of make e2e-node (node-up.sh) serves kubectl logs/exec on
# its node IP; simulated nodes have only a Hostname address. --allow-privileged: the chart's plugin
# DaemonSet is privileged (it moves host interfaces).
start kube-apiserver "$CP_BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --cert-dir "$RUN/certs" \
  --token-auth-file "$RUN/pki/tokens.csv" --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$RUN/pki/sa.pub" --service-account-signing-key-file "$RUN/pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/24 --endpoint-reconciler-type none \
  --disable-admission-plugins TaintNodesByCondition \
  --kubelet-preferred-address-types InternalIP,Hostname \
  --allow-privileged=true \
  --feature-gates "$FEATURE_GATES" \
  --runtime-config "resource.k8s.io/v1=true,resource.k8s.io/v1beta1=true,resource.k8s.io/v1beta2=true,resource.k8s.io/v1alpha3=true" \
  --v 1
wait_until kube-apiserver "kube-apiserver /readyz" \
  curl -sf --cacert "$RUN/certs/apiserver.crt" -H "Authorization: Bearer $admin_token" "https://127.0.0.1:$API_PORT/readyz"

log "starting kube-scheduler and kube-controller-manager"
start kube-scheduler "$CP_BIN/kube-scheduler" --kubeconfig "$RUN/kubeconfig" \
  --authentication-kubeconfig "$RUN/kubeconfig" --authorization-kubeconfig "$RUN/kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" --leader-elect=false \
  --feature-gates "$FEATURE_GATES" --v 2
# No kubelet renews the simulated Nodes' leases: node-lifecycle would taint and evict.
start kube-controller-manager "$CP_BIN/kube-controller-manager" --kubeconfig "$RUN/kubeconfig" \
  --authentication-kubeconfig "$RUN/kubeconfig" --authorization-kubeconfig "$RUN/kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$CONTROLLER_MANAGER_PORT" --leader-elect=false \
  --controllers '*,-node-lifecycle-controller' \
  --service-account-private-key-file "$RUN/pki/sa.key" --root-ca-file "$RUN/certs/apiserver.crt" \
  --feature-gates "$FEATURE_GATES" --v 2
wait_until kube-scheduler "kube-scheduler /healthz" curl -skf "https://127.0.0.1:$SCHEDULER_PORT/healthz"
wait_until kube-controller-manager "kube-controller-manager /healthz" curl -skf "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz"

# --- the driver's identity -------------------------------------------------------------
# For the simulated nodes' plugins only: with NODES=0 the Helm chart (make e2e-node)
# creates the identity itself and would refuse objects it does not own.
if ((NODES > 0)); then
  log "applying deployments/manifests/rbac.yaml (ServiceAccount kube-system/netclaim)"
  kubectl apply -f "$REPO_ROOT/deployments/manifests/rbac.yaml" >"$RUN/logs/rbac.log" 2>&1 ||
    fail rbac "applying deployments/manifests/rbac.yaml failed"
fi

# --- nodes ------------------------------------------------------------------------------
node_manifest() {
  local node=$1 now
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  cat <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $node
  labels:
    kubernetes.io/hostname: $node
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    netclaim.dev/simulated: "true"
status:
  capacity: {cpu: "16", memory: 64Gi, pods: "110"}
  allocatable: {cpu: "16", memory: 64Gi, pods: "110"}
  addresses:
  - {type: Hostname, address: $node}
  conditions:
  - type: Ready
    status: "True"
    reason: SimulatedNodeReady
    message: simulated by netclaim's e2e node agent
    lastHeartbeatTime: $now
    lastTransitionTime: $now
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: $("$CP_BIN/kube-apiserver" --version | awk '{print $2}')
YAML
}

nodes=()
netns_paths=()
for i in $(seq 1 "$NODES"); do
  node=$(node_name "$i")
  nodes+=("$node")
  netns_paths+=("/run/netns/$node")
  dir=$RUN/nodes/$node
  mkdir -p "$dir"/{plugins_registry,plugins/netclaim.dev,state,cdi,agent-state}
  ip netns add "$node"
  "$RUN/bin/mknode" --index "$i" --root "$dir/root" --netns "/run/netns/$node" 2>"$RUN/logs/$node-mknode.log" ||
    fail "$node-mknode" "creating the hardware of node $node failed"
  node_manifest "$node" | kubectl create -f - >/dev/null 2>"$RUN/logs/$node-object.log" ||
    fail "$node-object" "creating Node $node failed"
done
log "created nodes ${nodes[*]} (network namespaces and Node objects)"

if ((NODES > 0)); then
  start apiproxy "$RUN/bin/apiproxy" --target "127.0.0.1:$API_PORT" --ready-file "$RUN/apiproxy.ready" "${netns_paths[@]}"
  wait_until apiproxy "the API proxy into the node namespaces" test -e "$RUN/apiproxy.ready"
fi

for i in $(seq 1 "$NODES"); do
  node=$(node_name "$i")
  dir=$RUN/nodes/$node
  # The token is bound to the Node: the apiserver then knows which node the plugin serves,
  # which the associated-node verbs on resourceclaims/driver (claim status) require.
  token=$(kubectl -n kube-system create token netclaim --duration "$TOKEN_DURATION" \
    --bound-object-kind Node --bound-object-name "$node" 2>"$RUN/logs/$node-token.log") ||
    fail "$node-token" "minting a token for ServiceAccount kube-system/netclaim failed"
  write_kubeconfig "$dir/kubeconfig" "system:serviceaccount:kube-system:netclaim" "$token"

  # Both run inside the node's network namespace with nsenter --net (why: start_plugin in
  # lib.sh).
  if [[ -x $RUN/bin/nodeagent ]]; then
    start "$node-agent" nsenter --net="/run/netns/$node" "$RUN/bin/nodeagent" --node "$node" \
      --kubeconfig "$RUN/kubeconfig" --registrar-dir "$dir/plugins_registry" --plugins-dir "$dir/plugins" \
      --nri-socket "$dir/nri.sock" --netns-prefix "$(pod_netns_prefix "$i")" --state-dir "$dir/agent-state"
    # As on a real node the runtime is up before the driver: its NRI socket must exist,
    # or the plugin's first connection fails and waits a retry.
    wait_until "$node-agent" "the NRI socket of $node's agent" test -S "$dir/nri.sock"
  fi
  start_plugin "$node"
done
if ((NODES > 0)) && [[ ! -x $RUN/bin/nodeagent ]]; then
  log "no node agent (test/e2e/cmd/nodeagent missing or NETCLAIM_E2E_AGENT=0): plugins publish, but no pod will start"
fi

has_slices() { [[ -n $(kubectl get resourceslices --field-selector "spec.nodeName=$1" -o name) ]]; }
for node in "${nodes[@]}"; do
  wait_until "$node-plugin" "ResourceSlices of $node" has_slices "$node"
  if [[ -x $RUN/bin/nodeagent ]] && ! kill -0 "$(cat "$RUN/pids/$node-agent.pid")" 2>/dev/null; then
    fail "$node-agent" "the node agent of $node exited"
  fi
done

# --- done ---------------------------------------------------------------------------------
cat >"$RUN/env.sh" <<ENV
export KUBECONFIG=$RUN/kubeconfig
export PATH=$CP_BIN:$RUN/bin:\$PATH
ENV
{
  echo
  echo "netclaim e2e cluster is up ($((SECONDS - started)) s): ${nodes[*]}"
  kubectl get resourceslices -o custom-columns='NODE:.spec.nodeName,SLICE:.metadata.name,DEVICES:.spec.devices[*].name' 2>/dev/null |
    awk 'NR==1{next} {n[$1]+=split($3,a,",")} END{for (k in n) printf "  %s publishes %d devices\n", k, n[k]}' | sort
  echo "  run dir: $RUN (logs/, nodes/<node>/{root,state,cdi}); stop: test/e2e/scripts/cluster-down.sh"
  echo "  use it:  eval \"\$(cat $RUN/env.sh)\"; kubectl get nodes,resourceslices"
} >&2
cat "$RUN/env.sh"
