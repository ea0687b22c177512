#!/usr/bin/env bash
# Builds the two images a test node without a registry needs, as docker-archive tarballs
# for `ctr -n k8s.io images import`:
#   pause    the pod sandbox image (hack/image/pause, static Go), tagged with the pause tags
#            containerd 1.7 and kubelet 1.3x default to, so no sandbox_image override is needed
#   busybox  Debian's busybox-static with a symlink per applet, for test pods
# Usage: hack/image/build-test-images.sh OUTDIR
# Prints shell assignments on stdout (eval-able); progress goes to stderr:
#   PAUSE_IMAGE_TAR=OUTDIR/pause.tar  PAUSE_IMAGE=registry.k8s.io/pause:3.10
#   BUSYBOX_IMAGE_TAR=OUTDIR/busybox.tar  BUSYBOX_IMAGE=netclaim.local/busybox:v1
# busybox comes from $BUSYBOX, else a static /bin/busybox: Debian's busybox-static,
# installed on first use. When the dynamic busybox package is installed (busybox-static
# would replace it), `apt-get download busybox-static` is unpacked under OUTDIR instead.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../lib/ensure-packages.sh"
ensure_packages ca-certificates  # the Go module proxy is HTTPS
[[ $# -eq 1 ]] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
tools=$out/.build
mkdir -p "$tools"

pause_tags=(registry.k8s.io/pause:3.10 registry.k8s.io/pause:3.9 registry.k8s.io/pause:3.8)
busybox_tag=${BUSYBOX_IMAGE:-netclaim.local/busybox:v1}

log() { printf '[test-images %s] %s\n' "$(date +%T)" "$*" >&2; }

find_busybox() {
  if [[ -n ${BUSYBOX:-} ]]; then echo "$BUSYBOX"; return; fi
  if [[ -x /bin/busybox ]] && file_is_static /bin/busybox; then echo /bin/busybox; return; fi
  if [[ -z $(missing_packages busybox) ]] || ! ensure_packages busybox-static; then
    download_busybox
    return
  fi
  echo /bin/busybox
}

# download_busybox unpacks Debian's busybox-static under OUTDIR without installing it.
download_busybox() {
  local unpack=$tools/busybox-static
  if [[ ! -x $unpack/bin/busybox ]]; then
    log "no static /bin/busybox; fetching Debian's busybox-static package into $unpack"
    rm -rf "$unpack" && mkdir -p "$unpack"
    (cd "$tools" && rm -f busybox-static_*.deb && apt-get download busybox-static >&2)
    dpkg -x "$tools"/busybox-static_*.deb "$unpack"
  fi
  echo "$unpack/bin/busybox"
}

# A dynamically linked busybox would not run on scratch.
file_is_static() {
  ! grep -q 'ld-linux' <(head -c 4096 "$1" | tr -c '[:print:]' '\n')
}

(cd "$here" && GOWORK=off GOFLAGS=-mod=readonly go build -trimpath -o "$tools/image" .)
(cd "$here" && GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 GOOS=linux GOARCH=amd64 \
  go build -trimpath -ldflags '-s -w' -o "$tools/pause" ./pause)

tag_flags=()
for t in "${pause_tags[@]}"; do tag_flags+=(--tag "$t"); done
digest=$("$tools/image" "${tag_flags[@]}" --out "$out/pause.tar" --entrypoint /pause --file "$tools/pause:/pause:0755")
log "pause image $digest -> $out/pause.tar (${pause_tags[*]})"

busybox=$(find_busybox)
links=()
while read -r applet; do
  [[ $applet == bin/busybox ]] && continue
  links+=(--symlink "/$applet:/bin/busybox")
done < <("$busybox" --list-full)
digest=$("$tools/image" --tag "$busybox_tag" --out "$out/busybox.tar" \
  --file "$busybox:/bin/busybox:0755" "${links[@]}" --cmd sh)
log "busybox image $digest -> $out/busybox.tar ($busybox_tag, ${#links[@]} applets)"

echo "PAUSE_IMAGE_TAR=$out/pause.tar"
echo "PAUSE_IMAGE=${pause_tags[0]}"
echo "BUSYBOX_IMAGE_TAR=$out/busybox.tar"
echo "BUSYBOX_IMAGE=$busybox_tag"
