#!/bin/bash
# boot.sh KERNEL INITRD OUTDIR TIMEOUT_S: boot the test VM once and wait for
# it to power off. Writes OUTDIR/console.log (ttyS0), OUTDIR/results.txt
# (ttyS1) and OUTDIR/qemu.log (qemu's own messages). Exit status: the guest's overall test rc
# (through isa-debug-exit), 124 if it hung past TIMEOUT_S, 125 if it stopped
# without reporting (panic, poweroff without the exit port).
#
# The machine:
#   q35 + TCG     the host has no working KVM; q35 gives PCIe, which SR-IOV needs
#   intel-iommu   IOMMU groups for the VFs, so vfio-pci can take one (DPDK
#                 tests); intremap needs the split irqchip
#   igb           qemu's 82576 emulation, a PF with up to 7 real VFs (igbvf);
#                 it must sit behind a PCIe root port or its VFs never work.
#                 restrict=on: the user-mode network it is wired to reaches
#                 nothing outside qemu
#                 ipv6=off: otherwise qemu's user network sends router
#                 advertisements, and every up interface gets a fec0:: address
#                 and a default route at random moments, which both changes
#                 host state under the tests and makes the PF look like an uplink
#   no_timer_check  under TCG on a loaded host the kernel's IO-APIC timer check
#                 sometimes fails with the interrupt remapping on ("timer doesn't
#                 work through Interrupt-remapped IO-APIC", a panic at 0.05 s)
#   ttyS0         console, kernel messages
#   ttyS1         test results only, see init
#   isa-debug-exit  how /init hands the test rc to this script
set -u

KERNEL=$1 INITRD=$2 OUTDIR=$3 TIMEOUT_S=$4

timeout --kill-after=10 "$TIMEOUT_S" qemu-system-x86_64 \
	-machine q35,kernel-irqchip=split -accel tcg -cpu max -m 1024 -smp 2 \
	-device intel-iommu,intremap=on \
	-display none -no-reboot -nodefaults \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=ttyS0 panic=-1 intel_iommu=on no_timer_check ${VM_APPEND:-}" \
	-serial "file:$OUTDIR/console.log" -serial "file:$OUTDIR/results.txt" \
	-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1,slot=1 \
	-netdev user,id=n0,restrict=on,ipv6=off -device igb,netdev=n0,bus=rp0 \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	>"$OUTDIR/qemu.log" 2>&1
qemu_rc=$?

if [ $qemu_rc -eq 124 ] || [ $qemu_rc -eq 137 ]; then
	exit 124
elif [ $((qemu_rc & 1)) -eq 1 ]; then
	exit $((qemu_rc >> 1))
fi
exit 125
