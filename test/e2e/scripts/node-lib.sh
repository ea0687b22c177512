# shellcheck shell=bash disable=SC2034
# Settings of the REAL e2e node (make e2e-node): kubelet v1.37 + containerd 1.7 + runc +
# the bridge CNI plugin, joining the local control plane of cluster-up.sh. Sourced by
# node-tools.sh, node-up.sh, node-down.sh and e2e-node.sh after lib.sh.
# Every setting can be overridden from the environment:
#   NETCLAIM_NODE_RUN        run directory: configs, containerd root/state, kubelet root,
#                            pod logs, CDI specs, NRI socket, netclaim state (/run/netclaim-node)
#   NETCLAIM_NODE_NAME       the Node's name (nc-real)
#   NETCLAIM_NODE_IP         the node's address, on a veth of its own (10.254.0.1)
#   NETCLAIM_NODE_POD_CIDR   pod addresses of the bridge CNI (10.254.128.0/24)
#   NETCLAIM_NODE_NICS       test NICs: veth pairs ncn<i> (published) / ncp<i> (2)
#   NETCLAIM_NODE_KUBELET_PORT, NETCLAIM_NODE_HEALTHZ_PORT (20250, 20248)
NODE_RUN=${NETCLAIM_NODE_RUN:-/run/netclaim-node}
NODE_NAME=${NETCLAIM_NODE_NAME:-nc-real}
NODE_IP=${NETCLAIM_NODE_IP:-10.254.0.1}
POD_CIDR=${NETCLAIM_NODE_POD_CIDR:-10.254.128.0/24}
NODE_NICS=${NETCLAIM_NODE_NICS:-2}
KUBELET_PORT=${NETCLAIM_NODE_KUBELET_PORT:-20250}
HEALTHZ_PORT=${NETCLAIM_NODE_HEALTHZ_PORT:-20248}
NODE_MARKER=.netclaim-node-run

# Host links the node creates. None of them starts with "ncn" except the test NICs: the
# suite's DeviceClass selects ifName.startsWith("ncn").
NIC_PREFIX=ncn          # ncn0, ncn1 ...: what pods get
NIC_PEER_PREFIX=ncp     # their veth peers, left on the host
ADDR_LINK=ncaddr0       # holds NODE_IP (kubelet refuses a loopback node IP)
ADDR_PEER=ncaddr1
BRIDGE=ncbr0            # the primary CNI's bridge (pod eth0s)
CGROUP_ROOT=netclaim-node

# Tools. containerd 1.7 is Debian trixie's package, unpacked into a cache (never
# installed): bookworm's 1.6 has neither NRI nor CDI.
CONTAINERD_VERSION=1.7.24
CONTAINERD_DEB_VERSION=1.7.24~ds1-6+deb13u1
NODE_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/netclaim/containerd-$CONTAINERD_VERSION
CONTAINERD_BIN=$NODE_CACHE/usr/bin
CNI_BIN=/usr/lib/cni
RUNC=/usr/sbin/runc

# Images: imported with ctr, never pulled (no registry). Names are those of
# hack/image/build-test-images.sh and the chart's default image.
PAUSE_IMAGE=${NETCLAIM_NODE_PAUSE_IMAGE:-registry.k8s.io/pause:3.10}
BUSYBOX_IMAGE=${NETCLAIM_NODE_BUSYBOX_IMAGE:-netclaim.local/busybox:v1}

# The kubelet changes these host sysctls at start (container_manager_linux.go
# setupKernelTunables); the bridge plugin may set ip_forward. node-up.sh records them,
# node-down.sh puts them back.
NODE_SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward)
# Host paths kubelet or containerd write even with their own root dirs (hard-coded in
# them: container log symlinks, the device-plugin socket in /var/lib/kubelet, shim
# sockets, CNI result cache); node-down.sh removes any
# of them that did not exist before node-up.sh.
NODE_HOST_PATHS=(/var/log/containers /var/log/pods /run/containerd /var/lib/cni /var/lib/kubelet
  /var/run/cdi /var/run/nri /opt/containerd /var/lib/containerd /etc/cni /run/netns /usr/libexec/kubernetes)

NODE_PROCESS_NAMES=(containerd kubelet containerd-shim-runc-v2)

# What node-up.sh and node-down.sh run on the host: ip (iproute2); nsenter, setsid,
# findmnt, mount (util-linux, mount); sysctl (procps); iptables-save/-restore (iptables);
# nft (nftables), so node_state sees rules made through either.
NODE_HOST_PACKAGES=(iproute2 util-linux mount procps iptables nftables)

check_node_run_dir() {
  [[ $NODE_RUN == /* ]] || die "NETCLAIM_NODE_RUN must be an absolute path, got '$NODE_RUN'"
  case ${NODE_RUN%/} in
    "" | /run | /tmp | /var | /var/run | /root | /home | "$HOME" | /usr | /etc | /var/lib)
      die "NETCLAIM_NODE_RUN=$NODE_RUN is a system folder; use a folder of its own, e.g. /run/netclaim-node" ;;
  esac
}

# node_ours PID: whether pid is a node process we started: containerd, kubelet or a
# containerd shim, with the node's run directory in its arguments (config, root dir,
# -address).
node_ours() { owned_process "$1" "$NODE_RUN" "${NODE_PROCESS_NAMES[@]}"; }

# node_start NAME CMD...: like start in lib.sh, with the node's run directory.
node_start() { start_in "$NODE_RUN" "$@"; }

# node_fail NAME MESSAGE: dies, showing the end of NAME's log.
node_fail() { fail_showing_log "$NODE_RUN" 30 "undo with test/e2e/scripts/node-down.sh" "$@"; }

# node_wait NAME WHAT CMD...: retries CMD every 0.2 s for TIMEOUT s while NAME runs.
node_wait() { wait_while_running "$NODE_RUN" node_fail "$@"; }

# node_state prints the host state a node run may change, one "kind value" line each, so
# node-down.sh can diff it against what node-up.sh recorded before starting.
node_state() {
  local s p c
  for s in "${NODE_SYSCTLS[@]}"; do echo "sysctl $s=$(sysctl -n "$s" 2>/dev/null)"; done
  for p in "${NODE_HOST_PATHS[@]}"; do
    if [[ -e $p ]]; then echo "path $p"; fi
  done
  ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print "link " $2}'
  findmnt -rn -o TARGET | sed 's/^/mount /'
  for c in /sys/fs/cgroup/*/; do
    if [[ $c != */unified/ ]]; then find "$c" -mindepth 1 -maxdepth 1 -type d -printf "cgroup %p\n"; fi
  done
  { iptables-save 2>/dev/null || true; } | awk '!/^#/ {sub(/ \[[0-9]+:[0-9]+\]$/, ""); print "iptables " $0}'
  { nft list ruleset 2>/dev/null || true; } | awk 'END {print "nft-lines " NR}'
}
