package fakesys

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jaypipes/ghw"
	"k8s.io/dynamic-resource-allocation/deviceattribute"
)

func TestKernelLinkText_SpellsLinksLikeSysfs(t *testing.T) {
	// Spellings read from a live 6.18 kernel.
	tests := []struct{ link, target, want string }{
		{"class/net/eth0", "devices/pci0000:00/0000:00:03.0/virtio2/net/eth0", "../../devices/pci0000:00/0000:00:03.0/virtio2/net/eth0"},
		{"bus/pci/devices/0000:00:03.0", "devices/pci0000:00/0000:00:03.0", "../../../devices/pci0000:00/0000:00:03.0"},
		{"devices/pci0000:00/0000:00:03.0/driver", "bus/pci/drivers/virtio-pci", "../../../bus/pci/drivers/virtio-pci"},
		{"devices/pci0000:00/0000:00:03.0/virtio2/net/eth0/device", "devices/pci0000:00/0000:00:03.0/virtio2", "../../../virtio2"},
		{"devices/pci0000:3a/0000:3a:01.0/0000:3b:02.0/physfn", "devices/pci0000:3a/0000:3a:01.0/0000:3b:00.0", "../0000:3b:00.0"},
	}
	for _, tt := range tests {
		if got := kernelLinkText(tt.link, tt.target); got != tt.want {
			t.Errorf("kernelLinkText(%s -> %s) = %s, want %s", tt.link, tt.target, got, tt.want)
		}
	}
}

func writeExample(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := Example().Write(root); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return root
}

func TestWrite_LinksResolveInsideTheTree(t *testing.T) {
	root := writeExample(t)
	sys := filepath.Join(root, "sys")
	err := filepath.WalkDir(sys, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.Type()&os.ModeSymlink == 0 {
			return err
		}
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		if filepath.IsAbs(target) {
			t.Errorf("%s is absolute (%s): it would escape to the host's /sys", path, target)
		}
		resolved := filepath.Join(filepath.Dir(path), target)
		if !strings.HasPrefix(resolved, sys+"/") {
			t.Errorf("%s points outside the tree: %s", path, resolved)
		}
		if _, err := os.Stat(resolved); err != nil {
			t.Errorf("%s dangles: %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWrite_SRIOVLinksPairPFsAndVFs(t *testing.T) {
	root := writeExample(t)
	pf := filepath.Join(root, "sys/bus/pci/devices/0000:3b:00.0")
	for i, vf := range []string{"0000:3b:02.0", "0000:3b:02.1", "0000:3b:02.2", "0000:3b:02.3"} {
		link, err := os.Readlink(filepath.Join(pf, "virtfn"+strconv.Itoa(i)))
		if err != nil || link != "../"+vf {
			t.Errorf("virtfn%d = %q (%v), want ../%s", i, link, err, vf)
		}
		back, err := os.Readlink(filepath.Join(root, "sys/bus/pci/devices", vf, "physfn"))
		if err != nil || back != "../0000:3b:00.0" {
			t.Errorf("%s physfn = %q (%v), want ../0000:3b:00.0", vf, back, err)
		}
	}
	for file, want := range map[string]string{"sriov_totalvfs": "8", "sriov_numvfs": "4"} {
		b, err := os.ReadFile(filepath.Join(pf, file))
		if err != nil || strings.TrimSpace(string(b)) != want {
			t.Errorf("%s = %q (%v), want %s", file, b, err, want)
		}
	}
}

func TestWrite_GHWSeesEveryPCIFunction(t *testing.T) {
	root := writeExample(t)
	t.Setenv("PCIDB_PATH", filepath.Join(root, "usr/share/hwdata/pci.ids"))
	info, err := ghw.PCI(ghw.WithChroot(root), ghw.WithDisableTopology(), ghw.WithDisableTools(), ghw.WithDisableWarnings())
	if err != nil {
		t.Fatalf("ghw.PCI: %v", err)
	}
	var got []string
	for _, d := range info.Devices {
		got = append(got, d.Address+" "+d.Vendor.ID+":"+d.Product.ID+" class "+d.Class.ID+d.Subclass.ID+" "+d.Driver)
	}
	slices.Sort(got)
	want := []string{
		"0000:17:01.0 8086:2030 class 0604 pcieport", // root ports
		"0000:18:00.0 14e4:16d7 class 0200 bnxt_en",
		"0000:3a:01.0 8086:2030 class 0604 pcieport",
		"0000:3b:00.0 15b3:1017 class 0200 mlx5_core",
		"0000:3b:02.0 15b3:1018 class 0200 mlx5_core",
		"0000:3b:02.1 15b3:1018 class 0200 mlx5_core",
		"0000:3b:02.2 15b3:1018 class 0200 vfio-pci",
		"0000:3b:02.3 15b3:1018 class 0200 mlx5_core",
		"0000:ae:01.0 8086:2030 class 0604 pcieport",
		"0000:af:00.0 8086:10d3 class 0200 e1000e",
		"0000:d7:01.0 8086:2030 class 0604 pcieport",
		"0000:d8:00.0 8086:1592 class 0200 ice",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ghw's PCI devices differ (-want +got):\n%s", diff)
	}
}

func TestWrite_PCIeRootsAreWhatDeviceattributeReads(t *testing.T) {
	root := writeExample(t)
	for addr, want := range map[string]string{
		"0000:18:00.0": "pci0000:17", "0000:3b:02.2": "pci0000:3a", "0000:af:00.0": "pci0000:ae", "0000:d8:00.0": "pci0000:d7",
	} {
		got, err := deviceattribute.GetPCIeRootAttributeByPCIBusID(addr, deviceattribute.WithFSFromRoot(filepath.Join(root, "sys")))
		if err != nil {
			t.Errorf("%s: %v", addr, err)
			continue
		}
		if *got.Value.StringValue != want {
			t.Errorf("%s: pcieRoot %s, want %s", addr, *got.Value.StringValue, want)
		}
	}
}

func TestWrite_DefaultRouteOnTheUplinkOnly(t *testing.T) {
	root := writeExample(t)
	b, err := os.ReadFile(filepath.Join(root, "proc/net/route"))
	if err != nil {
		t.Fatal(err)
	}
	var defaults []string
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) > 7 && f[1] == "00000000" && f[7] == "00000000" {
			defaults = append(defaults, f[0])
		}
	}
	if diff := cmp.Diff([]string{"eno1"}, defaults); diff != "" {
		t.Errorf("IPv4 default routes differ (-want +got):\n%s", diff)
	}
}

func TestWrite_RejectsInconsistentHosts(t *testing.T) {
	nic := func(addr, ifName string) NIC {
		return NIC{PCIAddress: addr, Vendor: "8086", Device: "10d3", Netdev: Netdev{IfName: ifName}}
	}
	tests := []struct {
		name string
		host *Host
		want string
	}{
		{"duplicate PCI address", NewHost().AddNIC(nic("0000:19:00.0", "a")).AddNIC(nic("0000:19:00.0", "b")), "used twice"},
		{"duplicate interface", NewHost().AddNIC(nic("0000:19:00.0", "a")).AddNIC(nic("0000:19:00.1", "a")), "used twice"},
		{"interface name too long", NewHost().AddNIC(nic("0000:19:00.0", "a-very-long-name")), "15 bytes"},
		{"uppercase PCI address", NewHost().AddNIC(nic("0000:3B:00.0", "a")), "lowercase"},
		{"master that is not a bridge or bond", NewHost().AddVirtual(VirtualNIC{Kind: "veth", Netdev: Netdev{IfName: "v", Master: "nope"}}), "bridge or bond"},
		{"more VFs than TotalVFs", NewHost().AddPF(PF{NIC: nic("0000:19:00.0", "p"), TotalVFs: 1, VFs: []VF{{}, {}}}), "TotalVFs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.host.Write(t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Write error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestWrite_RefusesANonEmptyFolder(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := NewHost().Write(root); err == nil {
		t.Fatal("Write into a non-empty folder succeeded")
	}
}
