#!/usr/bin/env bash
# Provides what the real e2e node runs, without replacing anything on the host:
#   containerd 1.7.24   Debian trixie's package, downloaded with apt through a source
#                       list of its own (the host's apt sources and lists are untouched)
#                       and unpacked with dpkg -x into a cache:
#                       ${XDG_CACHE_HOME:-~/.cache}/netclaim/containerd-1.7.24/usr/bin
#   runc, containernetworking-plugins   Debian bookworm packages, installed on first use
#   kubelet             built with the control plane by test/e2e/tools/build.sh
# Prints the kubelet's bin directory on stdout (the control plane's, cached).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/node-lib.sh"
require_root

fetch_containerd() {
  [[ -x $CONTAINERD_BIN/containerd && -x $CONTAINERD_BIN/containerd-shim-runc-v2 && -x $CONTAINERD_BIN/ctr ]] &&
    [[ $("$CONTAINERD_BIN/containerd" --version 2>/dev/null) == *" $CONTAINERD_VERSION"* ]] && return 0
  log "fetching containerd $CONTAINERD_DEB_VERSION (Debian trixie) into $NODE_CACHE"
  local apt=$NODE_CACHE.apt
  rm -rf "$apt" "$NODE_CACHE"
  mkdir -p "$apt/lists/partial" "$apt/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" >"$apt/sources.list"
  # apt with a source list, list dir and cache of its own: only this download sees trixie.
  local opts=(-q -o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache::Archives=$apt/archives" -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update >"$apt/update.log" 2>&1 || { tail "$apt/update.log" >&2; die "apt-get update (trixie list) failed"; }
  (cd "$apt" && apt-get "${opts[@]}" download "containerd=$CONTAINERD_DEB_VERSION") >"$apt/download.log" 2>&1 ||
    { tail "$apt/download.log" >&2; die "apt-get download containerd=$CONTAINERD_DEB_VERSION failed"; }
  dpkg -x "$apt"/containerd_*.deb "$NODE_CACHE"
  rm -rf "$apt"
  "$CONTAINERD_BIN/containerd" --version >&2
}

fetch_containerd
# Debian bookworm's runc 1.1.5 ($RUNC) and CNI plugins 1.1.1 (bridge, host-local in
# $CNI_BIN) are what containerd 1.7.24 needs.
ensure_packages runc containernetworking-plugins
"$E2E_DIR/tools/build.sh"
