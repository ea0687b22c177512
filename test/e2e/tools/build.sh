#!/usr/bin/env bash
# Builds the e2e control plane (etcd, kube-apiserver, kube-scheduler,
# kube-controller-manager, kubectl) and the real node's kubelet (make e2e-node) from the Go module proxy, using the committed go.mod/go.sum
# in k8s/ and etcd/ (see gen-gomod.sh), into a cache outside the repository keyed on the
# Kubernetes version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/netclaim/k8s-<version>/bin
# Prints that bin directory on stdout; progress goes to stderr.
#
# A warm run does not rebuild: a stamp file records the version and the hash of the go.mod/
# go.sum files the binaries were built from, and every binary must be present. A cold build
# takes 8-17 minutes on 2 cores (~3 GiB RAM, ~4 GiB Go build cache); set NETCLAIM_E2E_REBUILD=1
# to force one.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../../hack/lib/ensure-packages.sh"
# The module proxy is HTTPS (ca-certificates); flock serializes builds (util-linux).
ensure_packages ca-certificates util-linux
version=$(awk '$1=="require" && $2=="k8s.io/kubernetes"{print $3; exit}' "$here/k8s/go.mod")
[[ $version =~ ^v1\.([0-9]+)\.[0-9]+$ ]] || { echo "build: no k8s.io/kubernetes version in $here/k8s/go.mod" >&2; exit 1; }
minor=${BASH_REMATCH[1]}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/netclaim/k8s-$version
bin=$cache/bin
stamp=$cache/stamp
binaries=(etcd kube-apiserver kube-scheduler kube-controller-manager kubectl kubelet)

log() { printf '[build %s] %s\n' "$(date +%T)" "$*" >&2; }

want_stamp() {
  echo "k8s.io/kubernetes $version"
  echo "go $(go env GOVERSION)"
  (cd "$here" && sha256sum k8s/go.mod k8s/go.sum etcd/go.mod etcd/go.sum etcd/main.go)
}

is_warm() {
  [[ ${NETCLAIM_E2E_REBUILD:-0} != 1 && -f $stamp ]] || return 1
  local b
  for b in "${binaries[@]}"; do [[ -x $bin/$b ]] || return 1; done
  [[ $(cat "$stamp") == "$(want_stamp)" ]]
}

# build_with_progress WHAT DIR OUT LDFLAGS PACKAGE...: runs `go build -v` in the background
# and reports every 20 s how many packages it has compiled so far, out of all the packages
# involved (an upper bound: some may already be in the Go build cache), so a 10-minute
# cold build does not look hung.
build_with_progress() {
  local what=$1 dir=$2 out=$3 ldflags=$4
  shift 4
  local blog=$cache/build-$what.log start=$SECONDS total
  log "resolving the packages of $what (the first time this downloads its modules)"
  total=$(cd "$dir" && GOFLAGS=-mod=readonly GOWORK=off go list -deps "$@" | wc -l) || total="?"
  log "building $what: up to $total packages (log: $blog)"
  (cd "$dir" && GOFLAGS=-mod=readonly GOWORK=off CGO_ENABLED=0 go build -v -ldflags "$ldflags" -o "$out" "$@") >"$blog" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    local i
    for i in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && log "  $what: $(grep -c . "$blog" || true) of up to $total packages compiled, $((SECONDS - start)) s"
  done
  if ! wait "$pid"; then
    log "building $what FAILED; last lines of $blog:"
    tail -30 "$blog" >&2
    return 1
  fi
  log "built $what in $((SECONDS - start)) s"
}

mkdir -p "$cache"
if is_warm; then
  log "control plane $version is cached in $bin"
  echo "$bin"
  exit 0
fi

# The build is serialized: two builds writing the same cache would waste the 2 cores.
exec 9>"$cache/lock"
if ! flock -n 9; then
  log "another build of $version is running; waiting for it"
  flock 9
  if is_warm; then echo "$bin"; exit 0; fi
fi

log "building the control plane $version into $bin (from cold caches: 8-17 min on 2 cores; later runs reuse it)"
total=$SECONDS
rm -f "$stamp"
mkdir -p "$bin"
ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  # Without these the binaries report v0.0.0 and kubectl warns about version skew.
  ldflags+=" -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
done
build_with_progress etcd "$here/etcd" "$bin/etcd" "-s -w" .
build_with_progress kubernetes "$here/k8s" "$bin/" "$ldflags" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl \
  k8s.io/kubernetes/cmd/kubelet
got=$("$bin/kube-apiserver" --version 2>&1 || true)
[[ $got == "Kubernetes $version" ]] || { log "built kube-apiserver reports '$got', want 'Kubernetes $version'"; exit 1; }
want_stamp >"$stamp"
log "control plane $version built in $((SECONDS - total)) s into $bin"
echo "$bin"
