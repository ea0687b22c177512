// Package vmtest holds the fixtures of the real-kernel VM test tier: tests
// that need kernel objects the host kernel cannot give (real SR-IOV VFs bound
// to a VF driver, netdevsim, 802.1Q, dummy, ipvlan, VRF). They run inside a
// qemu VM booted by test/vm/run.sh (`make vm-test`) on Debian bookworm's
// stock 6.1 kernel, with an emulated Intel 82576 (igb) PF behind a PCIe root
// port and an intel-iommu.
//
// A VM test lives in the package it tests, in a file named *_vm_test.go that
// starts with `//go:build vmtest`, and its name starts with TestVM:
//
//	//go:build vmtest
//
//	func TestVM_VFReturnsToHost(t *testing.T) {
//		pf := vmtest.IGB(t)     // skips outside the VM
//		vfs := pf.VFs(t, 2)     // igbvf-bound VF netdevs, removed in cleanup
//		...
//	}
//
// Every fixture calls InVM first, so a vmtest-tagged binary run anywhere else
// skips with a reason instead of touching the machine it runs on. Inside the
// VM there is no udev: nothing loads drivers for PCI devices by itself, so the
// fixtures load the modules they need (RequireModule) and wait for the kernel
// to bind them. Interface names are the kernel's own (ethN), nothing renames
// them.
//
// This package is imported only from vmtest-tagged test files, but it builds
// on any host, so `go build ./...` and `go vet` check it.
package vmtest
