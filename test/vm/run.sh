#!/bin/bash
# run.sh: the body of `make vm-test`. Builds every package's VM tests, boots
# one VM that runs them all on a real kernel, prints one line per test and a
# summary, and exits non-zero if anything failed, hung or did not report.
#
# Env:
#   VM_RUN           -test.run regexp inside the VM (default ^TestVM)
#   VM_PKGS          packages to build, e.g. "./pkg/netdev ./pkg/inventory"
#                    (default: every package with a //go:build vmtest *_vm_test.go)
#   VM_TIMEOUT       seconds before the whole VM is declared hung (default 600)
#   VM_TEST_TIMEOUT  -test.timeout of each test binary (default 300s), so a
#                    stuck test dumps its goroutines instead of hanging the VM
#   VM_APPEND        extra kernel command line
#   VM_KEEP=1        keep the test binaries and initrd, not only the logs
#
# Only one run at a time per user: runs take a lock (they would fight over
# the two CPUs anyway, and setup must not run twice at once).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
VM_RUN=${VM_RUN:-^TestVM}
VM_TIMEOUT=${VM_TIMEOUT:-600}
VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-300s}
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/netclaim
WORK=/tmp/netclaim-vm-$$

log() { echo "vm-test: $*" >&2; }

take_lock() {
	mkdir -p "$CACHE_ROOT"
	exec 9>"$CACHE_ROOT/vm.lock"
	if ! flock -n 9; then
		log "another vm-test run holds $CACHE_ROOT/vm.lock; waiting for it"
		flock 9
	fi
}

# vm_packages lists the packages (relative folders) that have VM tests.
vm_packages() {
	if [ -n "${VM_PKGS:-}" ]; then
		for p in $VM_PKGS; do
			p=${p#./}
			echo "${p%/}"
		done
		return
	fi
	(cd "$REPO" && grep -rl --include='*_vm_test.go' -e '//go:build vmtest' . \
		| xargs -r -n1 dirname | sed 's#^\./##' | sort -u)
}

# build_tests compiles each package's tests into $WORK/root/src/<pkg>/vm.test
# (static: the VM has no libc) and copies its testdata. A package that does
# not compile is reported and counted as failed; the others still run, since
# several people add VM tests at the same time.
build_tests() {
	local pkg dir mod
	BUILD_FAILED=()
	for pkg in $(vm_packages); do
		dir=$WORK/root/src/$pkg
		mkdir -p "$dir"
		# A package in a nested module (test/e2e, test/bench) builds from there.
		mod=$(cd "$REPO/$pkg" && go env GOMOD)
		# -s -w: no symbol table or DWARF (stack traces still work); the
		# binaries go through gzip and the VM's RAM, and k8s ones are big.
		if ! (cd "$(dirname "$mod")" && CGO_ENABLED=0 go test -c -tags vmtest -ldflags='-s -w' \
			-o "$dir/vm.test" "./$(realpath --relative-to="$(dirname "$mod")" "$REPO/$pkg")") >&2; then
			BUILD_FAILED+=("$pkg")
			rm -rf "$dir"
			continue
		fi
		if [ -d "$REPO/$pkg/testdata" ]; then
			cp -r "$REPO/$pkg/testdata" "$dir/"
		fi
	done
}

# pack_initrd appends this run's archive (init, settings, tests) to the
# cached base archive (busybox, modules).
pack_initrd() {
	local root=$WORK/root
	mkdir -p "$root/etc"
	cp "$HERE/init" "$root/init"
	chmod +x "$root/init"
	{
		echo "VM_RUN='$(printf %s "$VM_RUN" | sed "s/'/'\\\\''/g")'"
		echo "VM_TEST_TIMEOUT='$VM_TEST_TIMEOUT'"
	} > "$root/etc/vmtest.env"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/run.cpio.gz"
	cat "$CACHE/base.cpio.gz" "$WORK/run.cpio.gz" > "$WORK/initrd.gz"
}

# report prints one line per top-level test, the output of every package
# that failed, and the summary; its exit status is the run's verdict.
report() {
	local boot_rc=$1 boot_s=$2
	awk -v boot_rc="$boot_rc" -v boot_s="$boot_s" -v build_failed="${BUILD_FAILED[*]:-}" '
	/^VMTEST-BOOTED/ { next }
	/^VMTEST-BEGIN / { pkg = $2; running = ""; fails = 0; out = ""; next }
	/^VMTEST-END / {
		split($3, kv, "="); rc = kv[2] + 0
		if (rc != 0 && running != "") {
			# The binary died (panic, -test.timeout) inside this test.
			n["FAIL"]++; fails++
			printf "FAIL %-22s %s (no result: the test binary exited %d in it)\n", pkg, running, rc
		} else if (rc != 0 && fails == 0) {
			bad++
			printf "FAIL %-22s (test binary exited %d)\n", pkg, rc
		}
		if (rc != 0) failed_out = failed_out "\n---- output of " pkg " ----\n" out
		pkg = ""; next
	}
	/^VMTEST-DONE/ { done = 1; uptime = substr($3, 8) "s"; next }
	pkg != "" { out = out $0 "\n" }
	/^=== RUN   [^\/]*$/ { running = $3 }
	/^--- (PASS|FAIL|SKIP): / {
		st = substr($2, 1, 4); n[st]++; running = ""
		if (st == "FAIL") fails++
		printf "%-4s %-22s %s %s\n", st, pkg, $3, $4
	}
	END {
		if (uptime == "") uptime = "-"
		nb = split(build_failed, bf, " ")
		for (i = 1; i <= nb; i++) { bad++; printf "FAIL %-22s (does not compile with -tags vmtest)\n", bf[i] }
		if (!done) { bad++; printf "FAIL no VMTEST-DONE marker: the VM hung, panicked or /init died (boot rc %d)\n", boot_rc }
		else if (boot_rc != 0 && !bad && !n["FAIL"]) { bad++; printf "FAIL the VM reported rc %d\n", boot_rc }
		printf "%s", failed_out
		printf "\nvm-test: %d passed, %d failed, %d skipped, %d other failure(s); VM wall %ds, guest uptime %s\n",
			n["PASS"], n["FAIL"], n["SKIP"], bad, boot_s, uptime
		exit (n["FAIL"] || bad) ? 1 : 0
	}' "$WORK/results.txt"
}

main() {
	local start boot_start boot_rc=0 verdict=0
	start=$(date +%s)
	take_lock
	CACHE=$("$HERE/setup.sh")
	"$HERE/build-initramfs.sh" "$CACHE"
	. "$CACHE/stamp"
	mkdir -p "$WORK"
	log "building the VM tests (logs and results in $WORK)"
	build_tests
	if [ -z "$(find "$WORK/root/src" -name vm.test 2>/dev/null)" ] && [ ${#BUILD_FAILED[@]} -eq 0 ]; then
		log "no package has VM tests (*_vm_test.go with //go:build vmtest)"
		exit 1
	fi
	pack_initrd
	log "booting the VM (kernel $KVER, run '$VM_RUN', timeout ${VM_TIMEOUT}s)"
	boot_start=$(date +%s)
	"$HERE/boot.sh" "$CACHE/kroot/boot/vmlinuz-$KVER" "$WORK/initrd.gz" "$WORK" "$VM_TIMEOUT" || boot_rc=$?
	# A guest that died before /init ran (an early kernel panic under TCG on a loaded
	# host) ran no test: boot once more rather than fail the tier on the emulator.
	if [ $boot_rc -eq 125 ] && ! grep -q '^VMTEST-BOOTED' "$WORK/results.txt" 2>/dev/null; then
		log "the kernel stopped before /init ran; last console lines:"
		tail -5 "$WORK/console.log" >&2 || true
		log "booting once more"
		boot_rc=0
		"$HERE/boot.sh" "$CACHE/kroot/boot/vmlinuz-$KVER" "$WORK/initrd.gz" "$WORK" "$VM_TIMEOUT" || boot_rc=$?
	fi
	[ $boot_rc -ne 124 ] || log "the VM hung: killed after ${VM_TIMEOUT}s"
	report $boot_rc $(( $(date +%s) - boot_start )) || verdict=1
	if [ "${VM_KEEP:-0}" != 1 ]; then
		rm -rf "$WORK/root" "$WORK"/*.cpio.gz "$WORK/initrd.gz"
	fi
	log "total $(( $(date +%s) - start ))s; console $WORK/console.log, results $WORK/results.txt"
	exit $verdict
}

# Sourcing the file (to try report on a saved results file) runs nothing.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
