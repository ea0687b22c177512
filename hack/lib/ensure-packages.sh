#!/usr/bin/env bash
# shellcheck shell=bash
# ensure-packages.sh: every make target installs the Debian packages it uses on first use,
# so a fresh machine needs nothing installed by hand. Two ways to use it:
#
#   source hack/lib/ensure-packages.sh; ensure_packages iptables runc    (scripts)
#   hack/lib/ensure-packages.sh PKG...      (Makefile recipes without a script of their own)
#
# Packages, not commands, are checked: a script names the package whose files it uses
# (/usr/lib/cni/bridge, /usr/sbin/runc), and dpkg answers for all of them at once.
#
# Quiet when everything is there (one dpkg-query). Otherwise it prints
# "installing: X Y (first use)" to stderr, refreshes the apt lists once (stale lists name
# versions the mirror no longer has; NETCLAIM_APT_UPDATED=1 tells the scripts this one
# starts that it is done) and installs without recommends; apt's output is shown only when
# it fails. Not root: sudo when it needs no password, else it stops and names the packages.

# missing_packages PKG...: prints those of PKG that dpkg does not list as installed.
# (dpkg-query fails when one of them is unknown; it still prints the others.)
missing_packages() {
  local installed pkg
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "$@" 2>/dev/null | awk '$2 == "installed" {print $1}' || true)
  for pkg in "$@"; do
    grep -qxF -- "$pkg" <<<"$installed" || echo "$pkg"
  done
}

# as_root CMD...: runs CMD as root, through sudo -n when this is not root.
as_root() {
  if [[ $(id -u) == 0 ]]; then
    "$@"
  else
    sudo -n "$@"
  fi
}

ensure_packages() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  [[ ${#missing[@]} -gt 0 ]] || return 0
  if [[ $(id -u) != 0 ]] && ! sudo -n true 2>/dev/null; then
    echo "ERROR: this needs the Debian packages ${missing[*]}, and only root can install them;" \
      "run it as root (it installs them itself) or install them first" >&2
    return 1
  fi
  echo "installing: ${missing[*]} (first use)" >&2
  if [[ ${NETCLAIM_APT_UPDATED:-0} != 1 ]]; then
    quiet_apt update || return 1
    export NETCLAIM_APT_UPDATED=1
  fi
  quiet_apt install -y --no-install-recommends "${missing[@]}"
}

# quiet_apt ARGS...: apt-get ARGS as root, its output (dpkg prints every unpacked package
# even with -qq) shown only when it fails. The lock timeout: another script, or
# unattended-upgrades, may be installing right now.
quiet_apt() {
  local out rc=0
  out=$(mktemp)
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300 "$@" >"$out" 2>&1 || rc=$?
  if [[ $rc != 0 ]]; then
    cat "$out" >&2
    echo "ERROR: apt-get $* failed (exit $rc)" >&2
  fi
  rm -f "$out"
  return "$rc"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  ensure_packages "$@"
fi
