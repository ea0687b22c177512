#!/usr/bin/env bash
# Starts a REAL node and joins it to the local control plane of cluster-up.sh (which must
# be up: it uses $NETCLAIM_E2E_RUN/kubeconfig):
#
#   containerd 1.7.24   own root, state, sockets under $NETCLAIM_NODE_RUN; CRI with runc v2,
#                       cgroupfs, CDI (specs in $NETCLAIM_NODE_RUN/cdi) and NRI (its own
#                       socket $NETCLAIM_NODE_RUN/nri/nri.sock); pod netns under its state dir
#   bridge CNI          bridge ncbr0 + host-local on $NETCLAIM_NODE_POD_CIDR: no gateway, no
#                       masquerade, no iptables
#   kubelet v1.37.2     root dir, pod logs, pod cgroups (/netclaim-node in every v1
#                       controller) of its own; serves on the node address (veth ncaddr0)
#   test NICs           veth pairs ncn<i> / ncp<i> in the host namespace: what pods get
#   images              pause, busybox (and the netclaim plugin image when given) imported
#                       with ctr from docker-archive tarballs: no registry
#
# Before it changes anything it records the host state node-down.sh restores and checks
# against (sysctls, paths, links, mounts, cgroups, iptables). Progress goes to stderr;
# stdout is an export line for the node's settings.
#   test/e2e/scripts/node-up.sh IMAGE.tar...
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/node-lib.sh"
require_root
check_node_run_dir
ensure_packages "${NODE_HOST_PACKAGES[@]}"
[[ -f $RUN/kubeconfig ]] || die "no control plane in $RUN: start it first (test/e2e/scripts/cluster-up.sh)"
started=$SECONDS

if [[ -e $NODE_RUN ]]; then
  log "a previous node left $NODE_RUN behind: tearing it down first"
  "$E2E_DIR/scripts/node-down.sh"
fi

KUBELET_BIN=$("$E2E_DIR/scripts/node-tools.sh")
KUBECTL=$KUBELET_BIN/kubectl
kubectl() { "$KUBECTL" --kubeconfig "$RUN/kubeconfig" "$@"; }
ctr() { "$CONTAINERD_BIN/ctr" --address "$NODE_RUN/containerd/containerd.sock" -n k8s.io "$@"; }

mkdir -p "$NODE_RUN"/{logs,pids,before,containerd,cni/net.d,cni/ipam,cdi,nri/plugins,nri/conf.d,kubelet/plugins/netclaim.dev,kubelet/plugins_registry,pod-logs,netclaim}
touch "$NODE_RUN/$NODE_MARKER"
node_state >"$NODE_RUN/before/state"
for s in "${NODE_SYSCTLS[@]}"; do echo "$s=$(sysctl -n "$s")"; done >"$NODE_RUN/before/sysctls"
iptables-save >"$NODE_RUN/before/iptables" 2>/dev/null || true
# The run dir becomes a shared mount, as / is on a systemd host (here it is private): the
# plugin mounts the pod netns dir with HostToContainer propagation, which the runtime
# refuses on a private mount, and needs to see the netns mounts made after it started.
mount --bind "$NODE_RUN" "$NODE_RUN"
mount --make-rshared "$NODE_RUN"

# --- configs -------------------------------------------------------------------------------
render() {
  sed -e "s|@RUN@|$NODE_RUN|g" -e "s|@PAUSE_IMAGE@|$PAUSE_IMAGE|g" -e "s|@RUNC@|$RUNC|g" \
    -e "s|@CNI_BIN@|$CNI_BIN|g" -e "s|@BRIDGE@|$BRIDGE|g" -e "s|@POD_CIDR@|$POD_CIDR|g" \
    -e "s|@CGROUP_ROOT@|$CGROUP_ROOT|g" -e "s|@NODE_IP@|$NODE_IP|g" \
    -e "s|@KUBELET_PORT@|$KUBELET_PORT|g" -e "s|@HEALTHZ_PORT@|$HEALTHZ_PORT|g" "$1"
}
render "$E2E_DIR/node/containerd.toml" >"$NODE_RUN/containerd/config.toml"
render "$E2E_DIR/node/cni.conflist" >"$NODE_RUN/cni/net.d/10-netclaim-node.conflist"
render "$E2E_DIR/node/kubelet.yaml" >"$NODE_RUN/kubelet.yaml"

# --- host links ------------------------------------------------------------------------------
# The node address sits on a veth of its own: never on eth0 or lo.
ip link add "$ADDR_LINK" type veth peer name "$ADDR_PEER"
ip addr add "$NODE_IP/32" dev "$ADDR_LINK"
ip link set "$ADDR_PEER" up
ip link set "$ADDR_LINK" up
for i in $(seq 0 $((NODE_NICS - 1))); do
  ip link add "$NIC_PREFIX$i" type veth peer name "$NIC_PEER_PREFIX$i"
  ip link set "$NIC_PREFIX$i" mtu 1500 up
  ip link set "$NIC_PEER_PREFIX$i" up
done
log "links: node address $NODE_IP on $ADDR_LINK; test NICs $(seq -s ' ' -f "$NIC_PREFIX%g" 0 $((NODE_NICS - 1)))"

# --- pod cgroups -------------------------------------------------------------------------------
# kubelet wants its cgroupRoot to exist in every controller; cpuset children start with no
# cpus/mems, so they are copied from the root.
for c in /sys/fs/cgroup/*/; do
  [[ $c == */unified/ ]] && continue
  mkdir -p "$c$CGROUP_ROOT"
done
for f in cpus mems; do cat "/sys/fs/cgroup/cpuset/cpuset.$f" >"/sys/fs/cgroup/cpuset/$CGROUP_ROOT/cpuset.$f"; done

# --- containerd --------------------------------------------------------------------------------
log "starting containerd $CONTAINERD_VERSION (log: $NODE_RUN/logs/containerd.log)"
# The shim is found through PATH; runc is named in the config.
node_start containerd env PATH="$CONTAINERD_BIN:$PATH" "$CONTAINERD_BIN/containerd" \
  --config "$NODE_RUN/containerd/config.toml" --log-level info
node_wait containerd "containerd's socket" ctr version

import_image() {
  local tar=$1 out
  out=$(ctr images import "$tar" 2>&1) || node_fail containerd "importing $tar failed: $out"
  log "imported $(basename "$tar"): $(echo "$out" | tr '\n' ' ')"
}
for tar in "$@"; do import_image "$tar"; done
# Not `ctr | grep -q`: grep exiting first fails the pipeline (pipefail) with SIGPIPE.
images=$(ctr images ls -q)
grep -qxF "$PAUSE_IMAGE" <<<"$images" || die "the pause image $PAUSE_IMAGE is not among the imported images ($*)"

# --- kubelet -----------------------------------------------------------------------------------
log "starting kubelet as Node $NODE_NAME on $NODE_IP (log: $NODE_RUN/logs/kubelet.log)"
node_start kubelet "$KUBELET_BIN/kubelet" --config "$NODE_RUN/kubelet.yaml" \
  --kubeconfig "$RUN/kubeconfig" --root-dir "$NODE_RUN/kubelet" --cert-dir "$NODE_RUN/kubelet/pki" \
  --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
  --node-labels "netclaim.dev/real-node=true" --v 2
node_ready() {
  [[ $(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]
}
node_wait kubelet "Node $NODE_NAME Ready" node_ready
# The control plane runs without the node-lifecycle controller (the simulated nodes have
# no kubelet to renew leases), so nothing would lift the taint a fresh kubelet may have.
for taint in node.kubernetes.io/not-ready:NoSchedule node.kubernetes.io/not-ready:NoExecute; do
  kubectl taint node "$NODE_NAME" "$taint-" >/dev/null 2>&1 || true
done

cat >"$NODE_RUN/env.sh" <<ENV
export NETCLAIM_NODE_RUN=$NODE_RUN NETCLAIM_NODE_NAME=$NODE_NAME
ENV
log "node $NODE_NAME is up in $((SECONDS - started)) s: kubelet $("$KUBELET_BIN/kubelet" --version | awk '{print $2}'), containerd $CONTAINERD_VERSION, run dir $NODE_RUN"
cat "$NODE_RUN/env.sh"
