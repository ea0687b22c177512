#!/usr/bin/env bash
# Undoes everything node-up.sh, the kubelet and containerd changed on the host, then checks
# it: lists the host state again and compares it with what node-up.sh recorded before it
# started (sysctls, host paths, links, mounts, cgroups, iptables), printing leftovers.
# Exits non-zero when something of the node is left. Idempotent.
#   test/e2e/scripts/node-down.sh
# The pods should be gone first (e2e-node.sh deletes them through the API so that kubelet
# runs the CNI DEL and netclaim's NRI hooks); what is left is killed here.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/node-lib.sh"
require_root
check_node_run_dir
ensure_packages "${NODE_HOST_PACKAGES[@]}"
errors=0
warn() { log "$*"; errors=1; }

if [[ -e $NODE_RUN && ! -f $NODE_RUN/$NODE_MARKER ]]; then
  die "$NODE_RUN exists but was not made by node-up.sh ($NODE_MARKER missing); not touching it"
fi

# stop PID...: SIGTERM, up to 10 s, then SIGKILL; only node processes of ours.
stop() { stop_owned node_ours log "$@"; }
pid_of() {
  if [[ -f $NODE_RUN/pids/$1.pid ]]; then cat "$NODE_RUN/pids/$1.pid"; fi
}
all_ours() {
  local d
  for d in /proc/[0-9]*; do node_ours "${d#/proc/}" && echo "${d#/proc/}"; done
  return 0
}
# mounts_under DIR: mount points at or below DIR, deepest first.
mounts_under() { findmnt -rn -o TARGET | grep -E "^$1(/|$)" | sort -r || true; }
ctr() { "$CONTAINERD_BIN/ctr" --address "$NODE_RUN/containerd/containerd.sock" -n k8s.io "$@"; }

# --- processes ---------------------------------------------------------------------------------
stop "$(pid_of kubelet)"
# Containers still running (pods not deleted through the API): killed through containerd,
# so their shims exit and the sandboxes' netns mounts can go.
if [[ -S $NODE_RUN/containerd/containerd.sock ]] && node_ours "$(pid_of containerd)"; then
  for task in $(ctr tasks ls -q 2>/dev/null); do
    log "killing container $task left running"
    ctr tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true
  done
  sleep 0.5
  for task in $(ctr tasks ls -q 2>/dev/null); do ctr tasks delete -f "$task" >/dev/null 2>&1 || true; done
fi
stop "$(pid_of containerd)"
# shellcheck disable=SC2046
stop $(all_ours)

# --- mounts ------------------------------------------------------------------------------------
# kubelet bind-mounts its root dir onto itself, containerd mounts overlay rootfs, shm and
# the pod netns files under the run dir. Deepest first.
if [[ -d $NODE_RUN ]]; then
  mounts_under "$NODE_RUN" | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" || log "could not unmount $m"
  done
fi

# --- cgroups -------------------------------------------------------------------------------
for c in /sys/fs/cgroup/*/; do
  [[ -d $c$CGROUP_ROOT ]] || continue
  find "$c$CGROUP_ROOT" -depth -type d -exec rmdir {} + 2>/dev/null || true
  [[ -d $c$CGROUP_ROOT ]] && warn "cgroup $c$CGROUP_ROOT could not be removed (processes left in it?)"
done

# --- links -------------------------------------------------------------------------------------
for l in $(ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}'); do
  if [[ $l == "$BRIDGE" || $l == "$ADDR_LINK" || $l == "$ADDR_PEER" || $l =~ ^($NIC_PREFIX|$NIC_PEER_PREFIX)[0-9]+$ ]]; then
    ip link delete "$l" 2>/dev/null || true
  fi
done

# --- sysctls, iptables, host paths --------------------------------------------------------------
if [[ -f $NODE_RUN/before/sysctls ]]; then
  while IFS='=' read -r key value; do
    [[ $(sysctl -n "$key") == "$value" ]] || sysctl -qw "$key=$value" || warn "could not restore $key=$value"
  done <"$NODE_RUN/before/sysctls"
fi
if [[ -f $NODE_RUN/before/iptables ]]; then
  norm() { grep -v '^#' | sed -E 's/ \[[0-9]+:[0-9]+\]$//'; }
  if [[ $(iptables-save 2>/dev/null | norm) != $(norm <"$NODE_RUN/before/iptables") ]]; then
    log "iptables changed during the run: restoring the rules recorded before"
    iptables-restore <"$NODE_RUN/before/iptables" || warn "iptables-restore failed"
  fi
fi
if [[ -f $NODE_RUN/before/state ]]; then
  for p in "${NODE_HOST_PATHS[@]}"; do
    if [[ -e $p ]] && ! grep -qxF "path $p" "$NODE_RUN/before/state"; then
      log "removing $p (created during the run)"
      mounts_under "$p" | xargs -r umount -l
      rm -rf "$p"
    fi
  done
fi

# --- the Node object ---------------------------------------------------------------------------
if [[ -f $RUN/kubeconfig ]]; then
  kubectl_bin=${XDG_CACHE_HOME:-$HOME/.cache}/netclaim/k8s-$(awk '$1=="require" && $2=="k8s.io/kubernetes"{print $3; exit}' "$E2E_DIR/tools/k8s/go.mod")/bin/kubectl
  "$kubectl_bin" --kubeconfig "$RUN/kubeconfig" --request-timeout 5s delete node "$NODE_NAME" --ignore-not-found >/dev/null 2>&1 || true
fi

# --- check -------------------------------------------------------------------------------------
if [[ -f $NODE_RUN/before/state ]]; then
  after=$(node_state | grep -vE "^(mount|path) $NODE_RUN(/|$)")
  leftovers=$(diff <(sort "$NODE_RUN/before/state") <(echo "$after" | sort) | grep -E '^[<>]' || true)
  if [[ -n $leftovers ]]; then
    log "host state differs from before the node started (< before, > now):"
    while IFS= read -r line; do echo "    $line"; done <<<"$leftovers" >&2
    # Others (other tests on this host) may add or remove links and cgroups meanwhile; only
    # what is recognisably the node's is an error.
    if grep -qE "^> (link ($BRIDGE|$ADDR_LINK|$ADDR_PEER|${NIC_PREFIX}[0-9]+|${NIC_PEER_PREFIX}[0-9]+)|cgroup .*/$CGROUP_ROOT|mount .*(kubelet|containerd)|path |sysctl |iptables )" <<<"$leftovers"; then
      warn "the node left the above behind"
    fi
  else
    log "host state is as before the node started (sysctls, paths, links, mounts, cgroups, iptables)"
  fi
fi
if [[ -d $NODE_RUN ]]; then
  if [[ -n $(mounts_under "$NODE_RUN") ]]; then
    warn "mounts under $NODE_RUN remain; not removing it"
  else
    rm -rf "$NODE_RUN"
  fi
fi
[[ $errors == 0 ]] || die "node teardown incomplete (see above)"
log "node is down"
