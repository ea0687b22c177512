#!/usr/bin/env bash
# Builds helm from the Go module proxy (the `tool` pinned in hack/helm/go.mod, a module of
# its own so helm's dependencies never reach the driver's go.mod) into a cache outside the
# repository keyed on helm's version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/netclaim/helm-<version>/helm
# Prints that path on stdout; progress goes to stderr.
#
# A warm run does not rebuild: a stamp records the version, the Go version and the hash of
# go.mod/go.sum the binary was built from. A cold build takes a few minutes on 2 cores;
# NETCLAIM_HELM_REBUILD=1 forces one.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../lib/ensure-packages.sh"
# The module proxy is HTTPS (ca-certificates); flock serializes builds (util-linux).
ensure_packages ca-certificates util-linux
version=$(awk '$1=="helm.sh/helm/v4"{print $2; exit}' "$here/go.mod")
[[ $version =~ ^v4\.[0-9]+\.[0-9]+$ ]] || { echo "helm build: no helm.sh/helm/v4 version in $here/go.mod" >&2; exit 1; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}/netclaim/helm-$version
bin=$cache/helm
stamp=$cache/stamp

log() { printf '[helm %s] %s\n' "$(date +%T)" "$*" >&2; }

want_stamp() {
  echo "helm.sh/helm/v4 $version"
  echo "go $(go env GOVERSION)"
  (cd "$here" && sha256sum go.mod go.sum)
}

is_warm() {
  [[ ${NETCLAIM_HELM_REBUILD:-0} != 1 && -x $bin && -f $stamp ]] && [[ $(cat "$stamp") == "$(want_stamp)" ]]
}

mkdir -p "$cache"
if is_warm; then
  echo "$bin"
  exit 0
fi

# Serialized: two builds into one cache would only waste the cores.
exec 9>"$cache/lock"
if ! flock -n 9; then
  log "another build of helm $version is running; waiting for it"
  flock 9
  if is_warm; then echo "$bin"; exit 0; fi
fi

log "building helm $version into $bin (cold: a few minutes; later runs reuse it)"
start=$SECONDS
rm -f "$stamp"
# Without the -X flags helm reports the bare "v4.3" of its source tree.
ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$version -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
(cd "$here" && GOFLAGS=-mod=readonly GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin.tmp" helm.sh/helm/v4/cmd/helm)
got=$("$bin.tmp" version --template '{{.Version}}')
[[ $got == "$version" ]] || { log "built helm reports '$got', want '$version'"; exit 1; }
mv "$bin.tmp" "$bin"
want_stamp >"$stamp"
log "helm $version built in $((SECONDS - start)) s"
echo "$bin"
