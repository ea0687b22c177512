#!/bin/bash
# build-initramfs.sh CACHE: build CACHE/base.cpio.gz, the part of the VM's
# initramfs that does not change between runs: static busybox and the kernel
# modules the tier offers (with their dependencies and a depmod index).
#
# The per-run part (/init, the test binaries, the run's settings) is a second
# cpio archive that run.sh appends: the kernel unpacks concatenated archives
# one after the other into the same rootfs, so a run only packs what changed.
#
# The base is rebuilt when the module list below changes (its hash is kept
# next to it), so adding a module here is all it takes to offer it to tests.
set -euo pipefail

CACHE=$1
. "$CACHE/stamp"   # KVER

# MODULES are loadable by tests (vmtest.RequireModule) or autoloaded by the
# kernel through /sbin/modprobe. xfrm_user and nfnetlink look unrelated but
# netlink.NewHandleAt opens sockets of those families, and without the modules
# it fails with "protocol not supported".
MODULES="8021q dummy ipvlan macvlan vrf veth bridge xfrm_user nfnetlink
	igb igbvf dca i2c-algo-bit
	vfio-pci vfio vfio_iommu_type1"

OUT=$CACHE/base.cpio.gz
SUM=$( (echo "$MODULES"; cat "$0"; sha256sum "$CACHE/netdevsim.ko") | sha256sum | cut -c1-16)
if [ -f "$OUT" ] && [ "$(cat "$OUT.sum" 2>/dev/null)" = "$SUM" ]; then
	exit 0
fi

MODDIR=$CACHE/kroot/lib/modules/$KVER
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
DEST=$ROOT/lib/modules/$KVER
mkdir -p "$ROOT"/{bin,sbin,dev,proc,sys,tmp,run,etc,var} "$DEST"
# netns.NewNamed bind-mounts namespaces under /var/run/netns.
ln -s ../run "$ROOT/var/run"

cp /bin/busybox "$ROOT/bin/busybox"
# The kernel runs /sbin/modprobe for request_module (a link kind, a netlink
# family); busybox's modprobe reads the depmod index built below.
for tool in modprobe insmod rmmod lsmod; do
	ln -s ../bin/busybox "$ROOT/sbin/$tool"
done

declare -A SHIPPED
# ship_module copies one module and, first, everything modules.dep says it
# needs. Names are matched with '-' and '_' alike, as the kernel does.
ship_module() {
	local pattern line path deps dep
	pattern=${1//[-_]/[-_]}
	line=$(grep -E "(^|/)${pattern}\.ko(\.xz|\.zst|\.gz)?:" "$MODDIR/modules.dep" | head -1) \
		|| { echo "build-initramfs: module $1 is not in $MODDIR" >&2; exit 1; }
	path=${line%%:*}
	deps=${line#*:}
	[ -z "${SHIPPED[$path]:-}" ] || return 0
	SHIPPED[$path]=1
	for dep in $deps; do
		ship_module "$(basename "${dep%%.ko*}")"
	done
	mkdir -p "$DEST/$(dirname "$path")"
	# Shipped uncompressed: busybox modprobe may not read xz or zstd.
	case $path in
	*.ko.xz) xz -dc "$MODDIR/$path" > "$DEST/${path%.xz}" ;;
	*.ko.zst) zstd -qdc "$MODDIR/$path" > "$DEST/${path%.zst}" ;;
	*.ko.gz) gzip -dc "$MODDIR/$path" > "$DEST/${path%.gz}" ;;
	*) cp "$MODDIR/$path" "$DEST/$path" ;;
	esac
}

for m in $MODULES; do
	ship_module "$m"
done
# netdevsim is ours (built out of tree), so modules.dep cannot list its
# dependencies; its modinfo does.
for dep in $(modinfo -F depends "$CACHE/netdevsim.ko" | tr , ' '); do
	ship_module "$dep"
done
mkdir -p "$DEST/extra"
cp "$CACHE/netdevsim.ko" "$DEST/extra/"
# modules.builtin lets modprobe answer "already there" for built-in code.
cp "$MODDIR"/modules.{builtin,builtin.modinfo,order} "$DEST/"
depmod -b "$ROOT" "$KVER"

(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$SUM" > "$OUT.sum"
echo "vm: built $OUT ($(find "$DEST" -name '*.ko' | wc -l) modules, $(du -k "$OUT" | cut -f1) KiB)" >&2
