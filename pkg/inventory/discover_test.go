package inventory

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
)

func ptr[T any](v T) *T { return &v }

// writeHost renders h into a fresh folder and returns it as a HostRoot.
func writeHost(t testing.TB, h *fakesys.Host) string {
	t.Helper()
	root := t.TempDir()
	if err := h.Write(root); err != nil {
		t.Fatalf("writing the fake host: %v", err)
	}
	return root
}

// mixedHost has one of everything discovery distinguishes; IOMMU groups follow the order of
// the PCI functions below (fakesys numbers them from 0).
func mixedHost() *fakesys.Host {
	h := fakesys.NewHost()
	h.AddNIC(fakesys.NIC{ // group 0
		PCIAddress: "0000:18:00.0", PCIeRoot: "pci0000:17", Vendor: "14e4", Device: "16d7", Driver: "bnxt_en",
		Netdev: fakesys.Netdev{IfName: "eno1", MAC: "b0:26:28:00:18:00", SpeedMbps: 25000, Uplink: true},
	})
	h.AddPF(fakesys.PF{ // group 1, VFs 2..4 at 0000:3b:02.0-2
		NIC: fakesys.NIC{
			PCIAddress: "0000:3b:00.0", PCIeRoot: "pci0000:3a", Vendor: "15b3", Device: "1017", Driver: "mlx5_core",
			RDMADevices: []string{"mlx5_0"},
			Netdev:      fakesys.Netdev{IfName: "ens1f0", MAC: "0c:42:a1:3b:00:00", MTU: 9000, SpeedMbps: 25000},
		},
		TotalVFs: 8, VFDevice: "1018",
		VFs: []fakesys.VF{
			{Driver: "mlx5_core", RDMADevices: []string{"mlx5_2"},
				Netdev: fakesys.Netdev{IfName: "ens1f0v0", MAC: "ae:5b:0c:3b:02:00", RandomMAC: true, MTU: 9000, SpeedMbps: 25000}},
			{Driver: "vfio-pci"},
			{Driver: "mlx5_core", Netdev: fakesys.Netdev{IfName: "ens1f0v2", MAC: "ae:5b:0c:3b:02:02", OperState: "down"}},
		},
	})
	h.AddNIC(fakesys.NIC{ // group 5
		PCIAddress: "0000:af:00.0", PCIeRoot: "pci0000:ae", Vendor: "8086", Device: "10d3", Driver: "e1000e", NUMANode: -1,
		Netdev: fakesys.Netdev{IfName: "ens3", MAC: "3c:fd:fe:af:00:00", SpeedMbps: 1000},
	})
	h.AddPF(fakesys.PF{ // group 6
		NIC: fakesys.NIC{
			PCIAddress: "0000:d8:00.0", PCIeRoot: "pci0000:d7", Vendor: "8086", Device: "1592", Driver: "ice", NUMANode: 1,
			Netdev: fakesys.Netdev{IfName: "ens4f0", MAC: "b4:96:91:d8:00:00", SpeedMbps: 100000},
		},
		TotalVFs: 64, VFDevice: "1889",
	})
	h.AddNIC(fakesys.NIC{ // group 7: virtio-pci, the netdev hangs off virtio1
		PCIAddress: "0000:00:03.0", Vendor: "1af4", Device: "1041", Driver: "virtio-pci", NUMANode: -1,
		VirtioDevice: "virtio1",
		Netdev:       fakesys.Netdev{IfName: "enp0s3", MAC: "52:54:00:00:03:00"},
	})
	h.AddNIC(fakesys.NIC{ // group 8
		PCIAddress: "0000:5e:00.0", PCIeRoot: "pci0000:5d", Vendor: "15b3", Device: "1017", Driver: "mlx5_core",
		LinkType: "infiniband", RDMADevices: []string{"mlx5_4"},
		Netdev: fakesys.Netdev{IfName: "ib0", MAC: "00:00:10:87:fe:80:00:00:00:00:00:00:0c:42:a1:03:00:5e:00:00", SpeedMbps: 100000},
	})
	h.AddPF(fakesys.PF{ // group 9, its VF (group 10) at 0000:5e:02.4
		NIC: fakesys.NIC{
			PCIAddress: "0000:5e:00.1", PCIeRoot: "pci0000:5d", Vendor: "15b3", Device: "1017", Driver: "mlx5_core",
			LinkType: "infiniband",
			Netdev:   fakesys.Netdev{IfName: "ib1", MAC: "00:00:10:87:fe:80:00:00:00:00:00:00:0c:42:a1:03:00:5e:00:01"},
		},
		TotalVFs: 4, VFDevice: "1018",
		VFs: []fakesys.VF{{Driver: "vfio-pci"}},
	})
	h.AddPlatformNIC(fakesys.PlatformNIC{
		Device: "platform/virtio-mmio.0/virtio3", Driver: "virtio_net",
		Netdev: fakesys.Netdev{IfName: "eth9", MAC: "06:00:ac:10:00:09"},
	})
	h.AddVirtual(fakesys.VirtualNIC{Kind: "veth", Netdev: fakesys.Netdev{IfName: "veth-a", MAC: "7a:00:00:00:00:0a"}})
	h.AddVirtual(fakesys.VirtualNIC{Kind: "macvlan", Lower: "ens3", Netdev: fakesys.Netdev{IfName: "mv0", MAC: "7a:00:00:00:00:10", MTU: 1400}})
	h.AddVirtual(fakesys.VirtualNIC{Kind: fakesys.KindBridge, Netdev: fakesys.Netdev{IfName: "br0"}})
	h.AddVirtual(fakesys.VirtualNIC{Kind: "veth", Netdev: fakesys.Netdev{IfName: "veth-b", MAC: "7a:00:00:00:00:0b", Master: "br0"}})
	h.AddVirtual(fakesys.VirtualNIC{Kind: fakesys.KindBond, Netdev: fakesys.Netdev{IfName: "bond1"}})
	h.AddVirtual(fakesys.VirtualNIC{Kind: "vxlan", Netdev: fakesys.Netdev{IfName: "vx0", MAC: "7a:00:00:00:00:20", MTU: 1450, OperState: "unknown"}})
	h.AddVirtual(fakesys.VirtualNIC{Kind: "veth", Netdev: fakesys.Netdev{IfName: "Veth_Z", MAC: "7a:00:00:00:00:0c"}})
	return h
}

func mixedHostDevices() []Device {
	return []Device{
		{Name: "eth9", Kind: KindNIC, IfName: "eth9", Driver: "virtio_net", LinkType: LinkTypeEthernet,
			MAC: "06:00:ac:10:00:09", MTU: 1500, OperState: "up"},
		{Name: "mv0", Kind: KindNIC, IfName: "mv0", LinkType: LinkTypeEthernet, Virtual: true,
			MAC: "7a:00:00:00:00:10", MTU: 1400, OperState: "up"},
		{Name: "pci-0000-00-03-0", Kind: KindNIC, IfName: "enp0s3", PCIAddress: "0000:00:03.0", Vendor: "1af4", DeviceID: "1041",
			Driver: "virtio-pci", LinkType: LinkTypeEthernet, MAC: "52:54:00:00:03:00", MTU: 1500, OperState: "up", IOMMUGroup: "7"},
		{Name: "pci-0000-3b-02-0", Kind: KindVF, IfName: "ens1f0v0", PCIAddress: "0000:3b:02.0", Vendor: "15b3", DeviceID: "1018",
			Driver: "mlx5_core", PFName: "ens1f0", PFMTU: 9000, PFPCIAddress: "0000:3b:00.0", VFIndex: ptr(0), LinkType: LinkTypeEthernet,
			RDMA: true, RDMADevices: []string{"mlx5_2"}, RDMAVerbsDevices: []string{"uverbs1"}, MAC: "ae:5b:0c:3b:02:00", MTU: 9000, OperState: "up", SpeedMbps: 25000,
			NUMANode: ptr(0), IOMMUGroup: "2"},
		{Name: "pci-0000-3b-02-1", Kind: KindVF, PCIAddress: "0000:3b:02.1", Vendor: "15b3", DeviceID: "1018",
			Driver: "vfio-pci", PFName: "ens1f0", PFMTU: 9000, PFPCIAddress: "0000:3b:00.0", VFIndex: ptr(1), LinkType: LinkTypeEthernet,
			NUMANode: ptr(0), IOMMUGroup: "3"},
		{Name: "pci-0000-3b-02-2", Kind: KindVF, IfName: "ens1f0v2", PCIAddress: "0000:3b:02.2", Vendor: "15b3", DeviceID: "1018",
			Driver: "mlx5_core", PFName: "ens1f0", PFMTU: 9000, PFPCIAddress: "0000:3b:00.0", VFIndex: ptr(2), LinkType: LinkTypeEthernet,
			MAC: "ae:5b:0c:3b:02:02", MTU: 1500, OperState: "down", NUMANode: ptr(0), IOMMUGroup: "4"},
		{Name: "pci-0000-5e-00-0", Kind: KindNIC, IfName: "ib0", PCIAddress: "0000:5e:00.0", Vendor: "15b3", DeviceID: "1017",
			Driver: "mlx5_core", LinkType: LinkTypeInfiniband, RDMA: true, RDMADevices: []string{"mlx5_4"}, RDMAVerbsDevices: []string{"uverbs2"},
			MAC: "00:00:10:87:fe:80:00:00:00:00:00:00:0c:42:a1:03:00:5e:00:00", MTU: 2044, OperState: "up", SpeedMbps: 100000,
			NUMANode: ptr(0), IOMMUGroup: "8"},
		{Name: "pci-0000-5e-02-4", Kind: KindVF, PCIAddress: "0000:5e:02.4", Vendor: "15b3", DeviceID: "1018",
			Driver: "vfio-pci", PFName: "ib1", PFMTU: 2044, PFPCIAddress: "0000:5e:00.1", VFIndex: ptr(0), LinkType: LinkTypeInfiniband,
			NUMANode: ptr(0), IOMMUGroup: "10"},
		{Name: "pci-0000-af-00-0", Kind: KindNIC, IfName: "ens3", PCIAddress: "0000:af:00.0", Vendor: "8086", DeviceID: "10d3",
			Driver: "e1000e", LinkType: LinkTypeEthernet, MAC: "3c:fd:fe:af:00:00", MTU: 1500, OperState: "up", SpeedMbps: 1000,
			IOMMUGroup: "5"},
		{Name: "pci-0000-d8-00-0", Kind: KindPF, IfName: "ens4f0", PCIAddress: "0000:d8:00.0", Vendor: "8086", DeviceID: "1592",
			Driver: "ice", SRIOVTotalVFs: ptr(64), SRIOVNumVFs: ptr(0), LinkType: LinkTypeEthernet,
			MAC: "b4:96:91:d8:00:00", MTU: 1500, OperState: "up", SpeedMbps: 100000, NUMANode: ptr(1), IOMMUGroup: "6"},
		{Name: "veth-a", Kind: KindNIC, IfName: "veth-a", LinkType: LinkTypeEthernet, Virtual: true,
			MAC: "7a:00:00:00:00:0a", MTU: 1500, OperState: "up"},
		{Name: InterfaceDeviceName("Veth_Z"), Kind: KindNIC, IfName: "Veth_Z", LinkType: LinkTypeEthernet, Virtual: true,
			MAC: "7a:00:00:00:00:0c", MTU: 1500, OperState: "up"},
		{Name: "vx0", Kind: KindNIC, IfName: "vx0", Driver: "vxlan", LinkType: LinkTypeEthernet, Virtual: true,
			MAC: "7a:00:00:00:00:20", MTU: 1450, OperState: "unknown"},
	}
}

func TestDiscover_SyntheticHosts(t *testing.T) {
	tests := []struct {
		name string
		host *fakesys.Host
		want []Device
	}{
		{
			name: "mixed host: PF with VFs (RDMA, vfio-pci, down), plain NIC, PF without VFs, virtio, InfiniBand, software netdevs; a bridge port stays",
			host: mixedHost(),
			want: mixedHostDevices(),
		},
		{
			name: "uplink bridge over a bond: bond, its slaves and the bridge's ports stay with the host",
			host: fakesys.NewHost().
				AddNIC(fakesys.NIC{PCIAddress: "0000:18:00.0", Vendor: "8086", Device: "1572", Driver: "i40e",
					Netdev: fakesys.Netdev{IfName: "eno1", Master: "bond0"}}).
				AddNIC(fakesys.NIC{PCIAddress: "0000:18:00.1", Vendor: "8086", Device: "1572", Driver: "i40e",
					Netdev: fakesys.Netdev{IfName: "eno2", Master: "bond0"}}).
				AddNIC(fakesys.NIC{PCIAddress: "0000:19:00.0", Vendor: "8086", Device: "10d3", Driver: "e1000e",
					Netdev: fakesys.Netdev{IfName: "ens3", MAC: "3c:fd:fe:19:00:00"}}).
				AddVirtual(fakesys.VirtualNIC{Kind: fakesys.KindBond, Netdev: fakesys.Netdev{IfName: "bond0", Master: "br-ex"}}).
				AddVirtual(fakesys.VirtualNIC{Kind: fakesys.KindBridge, Netdev: fakesys.Netdev{IfName: "br-ex", Uplink: true}}).
				AddVirtual(fakesys.VirtualNIC{Kind: "veth", Netdev: fakesys.Netdev{IfName: "veth-c", Master: "br-ex"}}),
			want: []Device{
				{Name: "pci-0000-19-00-0", Kind: KindNIC, IfName: "ens3", PCIAddress: "0000:19:00.0", Vendor: "8086", DeviceID: "10d3",
					Driver: "e1000e", LinkType: LinkTypeEthernet, MAC: "3c:fd:fe:19:00:00", MTU: 1500, OperState: "up",
					NUMANode: ptr(0), IOMMUGroup: "2"},
			},
		},
		{
			name: "uplink VLAN: its parent NIC stays with the host, a macvlan on that NIC does not",
			host: fakesys.NewHost().
				AddNIC(fakesys.NIC{PCIAddress: "0000:18:00.0", Vendor: "8086", Device: "1572", Driver: "i40e",
					Netdev: fakesys.Netdev{IfName: "eno1"}}).
				AddVirtual(fakesys.VirtualNIC{Kind: "vlan", Lower: "eno1", Netdev: fakesys.Netdev{IfName: "eno1.100", Uplink: true}}).
				AddVirtual(fakesys.VirtualNIC{Kind: "macvlan", Lower: "eno1", Netdev: fakesys.Netdev{IfName: "mv1", MAC: "7a:00:00:00:01:01"}}),
			want: []Device{
				{Name: "mv1", Kind: KindNIC, IfName: "mv1", LinkType: LinkTypeEthernet, Virtual: true,
					MAC: "7a:00:00:00:01:01", MTU: 1500, OperState: "up"},
			},
		},
		{
			name: "uplink PF with VFs enabled: the PF stays, its VFs are published with the PF's name",
			host: fakesys.NewHost().
				AddPF(fakesys.PF{
					NIC: fakesys.NIC{PCIAddress: "0000:3b:00.0", Vendor: "8086", Device: "1572", Driver: "i40e", NUMANode: 1,
						Netdev: fakesys.Netdev{IfName: "eno1", Uplink: true}},
					TotalVFs: 2, VFDevice: "154c",
					VFs: []fakesys.VF{
						{Driver: "iavf", Netdev: fakesys.Netdev{IfName: "eno1v0", MAC: "aa:00:00:00:00:01", RandomMAC: true, SpeedMbps: 10000}},
						{Driver: "iavf", Netdev: fakesys.Netdev{IfName: "eno1v1", MAC: "aa:00:00:00:00:02", RandomMAC: true, SpeedMbps: 10000}},
					},
				}),
			want: []Device{
				{Name: "pci-0000-3b-02-0", Kind: KindVF, IfName: "eno1v0", PCIAddress: "0000:3b:02.0", Vendor: "8086", DeviceID: "154c",
					Driver: "iavf", PFName: "eno1", PFMTU: 1500, PFPCIAddress: "0000:3b:00.0", VFIndex: ptr(0), LinkType: LinkTypeEthernet,
					MAC: "aa:00:00:00:00:01", MTU: 1500, OperState: "up", SpeedMbps: 10000, NUMANode: ptr(1), IOMMUGroup: "1"},
				{Name: "pci-0000-3b-02-1", Kind: KindVF, IfName: "eno1v1", PCIAddress: "0000:3b:02.1", Vendor: "8086", DeviceID: "154c",
					Driver: "iavf", PFName: "eno1", PFMTU: 1500, PFPCIAddress: "0000:3b:00.0", VFIndex: ptr(1), LinkType: LinkTypeEthernet,
					MAC: "aa:00:00:00:00:02", MTU: 1500, OperState: "up", SpeedMbps: 10000, NUMANode: ptr(1), IOMMUGroup: "2"},
			},
		},
		{
			name: "only loopback: nothing to publish",
			host: fakesys.NewHost(),
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeHost(t, tt.host)
			got, err := Discover(context.Background(), Options{HostRoot: root})
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("devices differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiscover_ExcludesWhatTheAdminListed(t *testing.T) {
	root := writeHost(t, mixedHost())
	all, err := Discover(context.Background(), Options{HostRoot: root})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	tests := []struct {
		name    string
		exclude Exclusion
		gone    []string
	}{
		{"by interface name", Exclusion{"veth-?"}, []string{"veth-a"}},
		{"by name or published name", Exclusion{"veth-*"}, []string{"veth-a", InterfaceDeviceName("Veth_Z")}},
		{"by PCI address", Exclusion{"0000:00:03.0"}, []string{"pci-0000-00-03-0"}},
		{"by published name", Exclusion{"vx0"}, []string{"vx0"}},
		{"a PF's name takes its VFs", Exclusion{"ens1f0"}, []string{"pci-0000-3b-02-0", "pci-0000-3b-02-1", "pci-0000-3b-02-2"}},
		{"nothing matches", Exclusion{"nope*"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Discover(context.Background(), Options{HostRoot: root, Exclude: tt.exclude})
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			kept := map[string]bool{}
			for _, d := range got {
				kept[d.Name] = true
			}
			var gone []string
			for _, d := range all {
				if !kept[d.Name] {
					gone = append(gone, d.Name)
				}
			}
			if diff := cmp.Diff(tt.gone, gone, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("excluded devices (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiscover_RejectsAMalformedExclusion(t *testing.T) {
	root := writeHost(t, mixedHost())
	_, err := Discover(context.Background(), Options{HostRoot: root, Exclude: Exclusion{"ens[1"}})
	if err == nil || !strings.Contains(err.Error(), `"ens[1"`) {
		t.Fatalf("Discover with a malformed pattern: got %v, want an error naming the pattern", err)
	}
}

func TestDiscover_IsDeterministic(t *testing.T) {
	root := writeHost(t, mixedHost())
	first, err := Discover(context.Background(), Options{HostRoot: root})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	for range 3 {
		again, err := Discover(context.Background(), Options{HostRoot: root})
		if err != nil {
			t.Fatalf("Discover: %v", err)
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Fatalf("a rescan of an unchanged host differs (-first +again):\n%s", diff)
		}
	}
}

func TestDiscover_FailsWhenAPCIDeviceLacksModalias(t *testing.T) {
	root := writeHost(t, mixedHost())
	// ghw drops every PCI device when one lacks modalias; publishing the rest as if the
	// node had no NICs would be worse than failing the scan.
	if err := os.Remove(filepath.Join(root, "sys/bus/pci/devices/0000:af:00.0/modalias")); err != nil {
		t.Fatal(err)
	}
	_, err := Discover(context.Background(), Options{HostRoot: root})
	if err == nil || !strings.Contains(err.Error(), "modalias") {
		t.Fatalf("Discover error = %v, want one naming the missing modalias", err)
	}
}

func TestDiscover_FailsWhenHostRootHasNoSysfs(t *testing.T) {
	// An empty result would publish an empty pool and withdraw every device of the node.
	_, err := Discover(context.Background(), Options{HostRoot: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "sys") {
		t.Fatalf("Discover error = %v, want one saying the host root has no sys folder", err)
	}
}
