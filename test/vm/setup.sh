#!/bin/bash
# setup.sh: make sure everything the VM tier needs is on this machine, and print
# the cache directory that holds the kernel and netdevsim.ko.
#
#   host tools   qemu-system-x86 >= 10 (bookworm-backports), busybox-static, kmod,
#                cpio, xz-utils (the kernel source tarball), gcc-12 + make + binutils
#                (only to build and strip netdevsim); installed on first use
#   cache        ${XDG_CACHE_HOME:-$HOME/.cache}/netclaim/vm-<kver>/
#                  kroot/        the unpacked linux-image package (vmlinuz + modules)
#                  netdevsim.ko  built out of tree against the same kernel
#                  stamp         written last, so a half-finished setup is redone
#
# The kernel is Debian bookworm's stock one, pinned by whatever linux-image-amd64
# depends on in the apt lists: the same kernel users run, and a Debian point
# release moves every machine to the same new version (and a new cache dir).
#
# Nothing is installed from the kernel packages: they are downloaded and
# unpacked into the cache with dpkg -x, so the host's own kernel stays alone.
# Progress goes to stderr; stdout is only the cache path (run.sh reads it).
set -euo pipefail
source "$(dirname "$0")/../../hack/lib/ensure-packages.sh"

log() { echo "vm-setup: $*" >&2; }

# ensure_host_tools installs what is missing. The initramfs needs the static
# busybox: nothing else is in it to resolve a dynamically linked one's
# libraries. qemu must be 10 or newer: that is the first release that emulates
# igb (82576) with SR-IOV, which gives the tier real VFs bound to a real VF
# driver.
ensure_host_tools() {
	ensure_packages busybox-static kmod cpio xz-utils gcc-12 make binutils
	if ! qemu_is_new_enough; then
		install_backports_qemu
	fi
}

qemu_is_new_enough() {
	local major
	major=$(qemu-system-x86_64 --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9]*\).*/\1/p')
	[ -n "$major" ] && [ "$major" -ge 10 ]
}

# install_backports_qemu adds bookworm-backports (signed by the archive key the
# base system already trusts) and installs qemu from it. All four packages are
# named: letting apt pick the dependencies from bookworm mixes versions and the
# install half-fails.
install_backports_qemu() {
	local list=/etc/apt/sources.list.d/netclaim-bookworm-backports.list
	if [ ! -f "$list" ]; then
		log "adding bookworm-backports to $list (qemu 10 lives there)"
		echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main' > "$list"
	fi
	# A fresh update even when ensure_packages made one: the backports list is new.
	log "installing: qemu-system-x86 from bookworm-backports (first use)"
	quiet_apt update
	quiet_apt install -y --no-install-recommends -t bookworm-backports \
		qemu-system-x86 qemu-system-data qemu-system-common seabios
	qemu_is_new_enough || { log "qemu is still older than 10 after the install"; exit 1; }
}

# resolve_kernel sets KPKG (linux-image-6.1.0-N-amd64), KVER (6.1.0-N-amd64)
# and KDEBVER (its Debian version, e.g. 6.1.192-2) from the dependency of the
# linux-image-amd64 metapackage's candidate (bookworm's, not backports' 6.12:
# backports is pinned below the release). The headers, kbuild and source
# packages are pinned to KDEBVER: the apt lists hold several versions of
# linux-source-6.1, and netdevsim must be built from the running kernel's.
resolve_kernel() {
	KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
	[ -n "$KPKG" ] || { log "apt-cache knows no linux-image-amd64 (run apt-get update)"; exit 1; }
	KVER=${KPKG#linux-image-}
	KDEBVER=$(apt-cache show "$KPKG" | awk '/^Version:/ {print $2; exit}')
}

# fetch_kernel unpacks the image package and generates modules.dep, which the
# package does not ship (the postinst normally runs depmod).
fetch_kernel() {
	local dl=$1/dl
	mkdir -p "$dl"
	(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$KPKG" >&2)
	rm -rf "$1/kroot"
	dpkg -x "$dl/${KPKG}"_*.deb "$1/kroot"
	depmod -b "$1/kroot" "$KVER"
}

# build_netdevsim builds netdevsim.ko out of tree: Debian's kernel has
# CONFIG_NETDEVSIM unset, but its headers, kbuild and source packages hold all
# it takes. gcc-12 is the compiler the bookworm kernel was built with, so the
# module's vermagic matches. Only drivers/net/netdevsim is taken from the
# source tarball (the whole tree is ~140 MB).
build_netdevsim() {
	local c=$1 dl=$1/dl series abi hdr
	series=$(echo "$KVER" | cut -d. -f1,2)  # 6.1
	abi=${KVER%-amd64}                      # 6.1.0-N
	(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "linux-headers-$KVER=$KDEBVER" "linux-headers-$abi-common=$KDEBVER" \
		"linux-kbuild-$series=$KDEBVER" "linux-source-$series=$KDEBVER" >&2)
	rm -rf "$c/khdr" "$c/nsim-src"
	for p in "linux-headers-${KVER}_" "linux-headers-${abi}-common_" "linux-kbuild-${series}_"; do
		dpkg -x "$dl/$p"*.deb "$c/khdr"
	done
	hdr=$c/khdr/usr/src/linux-headers-$KVER
	# The arch headers' Makefile includes the -common tree by its installed
	# absolute path; point it into our unpacked copy instead.
	sed -i "s#include /usr/src/#include $c/khdr/usr/src/#" "$hdr/Makefile"
	mkdir -p "$c/nsim-src"
	dpkg-deb --fsys-tarfile "$dl/linux-source-${series}"_*.deb \
		| tar -xO "./usr/src/linux-source-$series.tar.xz" \
		| tar -xJ -C "$c/nsim-src" --strip-components=4 "linux-source-$series/drivers/net/netdevsim"
	make -s -C "$hdr" M="$c/nsim-src" CC=gcc-12 CONFIG_NETDEVSIM=m modules >&2
	# Debug info makes it ~25x bigger; the initramfs only needs the code.
	strip --strip-debug -o "$c/netdevsim.ko" "$c/nsim-src/netdevsim.ko"
	log "netdevsim.ko vermagic: $(modinfo -F vermagic "$c/netdevsim.ko")"
	# The headers and sources are only build inputs: drop them (~300 MB).
	rm -rf "$c/khdr" "$c/nsim-src" "$dl"
}

main() {
	local start cache
	start=$(date +%s)
	# Tools first: installing qemu refreshes the apt lists, which may move
	# the kernel to a newer point release.
	ensure_host_tools
	resolve_kernel
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/netclaim/vm-$KVER
	if [ ! -f "$cache/stamp" ]; then
		log "preparing $cache (kernel $KVER, $KDEBVER)"
		mkdir -p "$cache"
		fetch_kernel "$cache"
		build_netdevsim "$cache"
		echo "KVER=$KVER" > "$cache/stamp"
		log "cold setup took $(( $(date +%s) - start ))s"
	fi
	echo "$cache"
}

main "$@"
