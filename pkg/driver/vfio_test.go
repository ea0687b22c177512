package driver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"
	"k8s.io/klog/v2/ktesting"
	"tags.cncf.io/container-device-interface/pkg/cdi"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
	"github.com/netclaim/netclaim/pkg/pcibind"
	pt "github.com/netclaim/netclaim/pkg/pcibind/pcibindtest"
	"github.com/netclaim/netclaim/pkg/plan"
)

// Addresses of rebindHost's functions.
const (
	treePF     = pt.PF
	treeVF     = pt.IGBVF       // igbvf, netdev ens1f0v0
	treeVFIOVF = pt.VFIOVF      // vfio-pci already
	treeRDMAVF = "0000:5e:02.0" // mlx5_core with RDMA device mlx5_2
	treeNIC    = "0000:af:00.0" // e1000e, no SR-IOV
)

// rebindHost is pcibindtest's Intel 82576 PF with a VF on igbvf and one on vfio-pci, a
// Mellanox PF with an RDMA-capable VF, and a plain NIC; vfio-pci is loaded. Every
// function has an IOMMU group of its own.
func rebindHost() *fakesys.Host {
	h := fakesys.NewHost()
	pt.AddIGB(h)
	h.AddPF(fakesys.PF{
		NIC: fakesys.NIC{PCIAddress: "0000:5e:00.0", PCIeRoot: "pci0000:5d", Vendor: "15b3", Device: "1017", Driver: "mlx5_core",
			RDMADevices: []string{"mlx5_0"}, Netdev: fakesys.Netdev{IfName: "ens2f0", SpeedMbps: 25000}},
		TotalVFs: 4, VFDevice: "1018",
		VFs: []fakesys.VF{{PCIAddress: treeRDMAVF, Driver: "mlx5_core", RDMADevices: []string{"mlx5_2"},
			Netdev: fakesys.Netdev{IfName: "ens2f0v0", SpeedMbps: 25000}}},
	})
	h.AddNIC(fakesys.NIC{PCIAddress: treeNIC, PCIeRoot: "pci0000:ae", Vendor: "8086", Device: "10d3", Driver: "e1000e",
		Netdev: fakesys.Netdev{IfName: "ens3"}})
	return h
}

// vfioFixture is a driver over rebindHost's synthetic sysfs, whose writes go through a
// fake kernel, with the devices discovery finds there.
type vfioFixture struct {
	*fixture
	kernel *pt.Kernel
	sysfs  string
	// netdevs is the fixture's NetdevKeeper, which knows treeVF's netdev.
	netdevs *fakeNetdevs
}

// treeVFNetdev is treeVF's netdev on the host before prepare, as the keeper reads it.
var treeVFNetdev = plan.Original{Name: "ens1f0v0", MTU: 9000, HardwareAddr: "02:00:00:3b:02:00", Up: true}

// newVFIOFixture starts a driver on the tree as a plugin on the live host: it reads the
// tree's sysfs, and its binder writes go through the fake kernel.
func newVFIOFixture(t *testing.T) *vfioFixture {
	t.Helper()
	sysfs := pt.WriteTree(t, rebindHost())
	_, ctx := ktesting.NewTestContext(t)
	devices, err := inventory.Discover(ctx, inventory.Options{HostRoot: filepath.Dir(sysfs)})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	v := &vfioFixture{fixture: unstartedFixture(t, devices...), kernel: pt.NewKernel(t, sysfs), sysfs: sysfs}
	v.netdevs = v.fixture.netdevs.(*fakeNetdevs)
	v.netdevs.snapshots[treeVF] = treeVFNetdev
	v.kernel.Native[treeVF] = "igbvf"
	v.hostRoot = filepath.Dir(sysfs)
	v.pci = v.kernel.Binder()
	v.start(t)
	return v
}

func (v *vfioFixture) name(addr string) string {
	name, err := inventory.PCIDeviceName(addr)
	if err != nil {
		panic(err)
	}
	return name
}

func (v *vfioFixture) group(t *testing.T, addr string) string {
	return "/dev/vfio/" + pt.Group(t, v.sysfs, addr)
}

// crashing runs fn, which must die with pt.ErrCrash as the plugin process would.
func crashing(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != pt.ErrCrash {
			t.Fatalf("%s: recovered %v, want the simulated crash", what, r)
		}
	}()
	fn()
}

// cdiEdits reads a claim's CDI spec back with the CDI library and returns each device's
// node paths and env.
func (v *vfioFixture) cdiEdits(t *testing.T, claim string) (nodes map[string][]string, env map[string][]string) {
	t.Helper()
	spec, err := cdi.ReadSpec(filepath.Join(v.cdiDir, specFile(claim)), 0)
	if err != nil {
		t.Fatalf("reading CDI spec: %v", err)
	}
	nodes, env = map[string][]string{}, map[string][]string{}
	for _, d := range spec.Devices {
		for _, n := range d.ContainerEdits.DeviceNodes {
			nodes[d.Name] = append(nodes[d.Name], n.Path)
		}
		env[d.Name] = d.ContainerEdits.Env
	}
	return nodes, env
}

const vfioConfig = cfgHeader + "sriov: {driver: vfio-pci}\n"

func dpdkClaim(t *testing.T, name, device string) *resourceapi.ResourceClaim {
	return claimSpec{name: name, pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("dpdk", device)},
		configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(t, vfioConfig)}}.build()
}

var (
	forwardWrites = []pt.Write{pt.Override(treeVF, vfioPCI), pt.Unbind("igbvf", treeVF), pt.Probe(treeVF)}
	backWrites    = []pt.Write{pt.Override(treeVF, "\n"), pt.Unbind(vfioPCI, treeVF), pt.Bind("igbvf", treeVF)}
)

func TestPrepare_BindsVFToVFIOAndUnprepareRestoresIt(t *testing.T) {
	v := newVFIOFixture(t)
	dev := v.name(treeVF)
	claim := dpdkClaim(t, "a", dev)
	recordedFirst := false
	v.kernel.BeforeFirst = func() {
		c, ok := v.checkpointed(t)["uid-a"]
		recordedFirst = ok && c.Devices[0].VFIO != nil && cmp.Equal(c.Devices[0].VFIO.Rebind, &pt.OnIGBVF) &&
			cmp.Equal(c.Devices[0].VFIO.Netdev, &treeVFNetdev)
	}

	v.mustPrepare(t, claim)

	if !recordedFirst {
		t.Error("the VF's original driver and netdev were not in the checkpoint before the first sysfs write")
	}
	if diff := cmp.Diff(forwardWrites, v.kernel.TakeWrites()); diff != "" {
		t.Errorf("sysfs writes of prepare (-want +got):\n%s", diff)
	}
	pt.RequireBinding(t, v.driver.pci, treeVF, pt.OnVFIO)
	group := v.group(t, treeVF)
	got := v.checkpointed(t)["uid-a"]
	if diff := cmp.Diff(&plan.VFIO{GroupDevice: group, Rebind: &pt.OnIGBVF, Netdev: &treeVFNetdev}, got.Devices[0].VFIO); diff != "" {
		t.Errorf("checkpointed VFIO plan (-want +got):\n%s", diff)
	}
	if got.Devices[0].Target != (plan.Interface{}) || !cmp.Equal(got.CDIDeviceIDs, []string{"netclaim.dev/net=uid-a-" + dev}) {
		t.Errorf("checkpointed target %+v and CDI IDs %v, want no interface and one CDI device", got.Devices[0].Target, got.CDIDeviceIDs)
	}
	nodes, env := v.cdiEdits(t, "a")
	cdiName := "uid-a-" + dev
	if diff := cmp.Diff(map[string][]string{cdiName: {"/dev/vfio/vfio", group}}, nodes); diff != "" {
		t.Errorf("CDI device nodes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]string{cdiName: {"NETCLAIM_DPDK_PCI_ADDRESS=" + treeVF, "NETCLAIM_DPDK_VFIO_GROUP=" + group}}, env); diff != "" {
		t.Errorf("CDI env (-want +got):\n%s", diff)
	}

	ckpt := v.checkpointBytes(t)
	v.mustPrepare(t, claim)
	if w := v.kernel.TakeWrites(); len(w) != 0 {
		t.Errorf("a repeated prepare wrote sysfs: %v", w)
	}
	if string(ckpt) != string(v.checkpointBytes(t)) {
		t.Error("a repeated prepare rewrote the checkpoint")
	}

	if err := v.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatalf("unprepare: %v", err)
	}
	if diff := cmp.Diff(backWrites, v.kernel.TakeWrites()); diff != "" {
		t.Errorf("sysfs writes of unprepare (-want +got):\n%s", diff)
	}
	pt.RequireBinding(t, v.driver.pci, treeVF, pt.OnIGBVF)
	if diff := cmp.Diff([]restoreCall{{treeVF, treeVFNetdev}}, v.netdevs.takeRestores()); diff != "" {
		t.Errorf("netdev restores of unprepare (-want +got):\n%s", diff)
	}
	if c := v.checkpointed(t); len(c) != 0 || len(v.cdiFiles(t)) != 0 {
		t.Errorf("after unprepare: checkpoint %v, CDI files %v; want none", c, v.cdiFiles(t))
	}
}

func TestPrepare_PassesThroughVFOnVFIOWithNothingToRestore(t *testing.T) {
	v := newVFIOFixture(t)
	dpdk, data := v.name(treeVFIOVF), v.name(treeVF)
	claim := claimSpec{name: "a", pods: []string{"p"},
		results: []resourceapi.DeviceRequestAllocationResult{result("dpdk", dpdk), result("data", data)}}.build()

	v.mustPrepare(t, claim)

	got := v.checkpointed(t)["uid-a"]
	group := v.group(t, treeVFIOVF)
	if diff := cmp.Diff(&plan.VFIO{GroupDevice: group}, got.Devices[0].VFIO); diff != "" {
		t.Errorf("VFIO plan (-want +got):\n%s", diff)
	}
	if got.Devices[0].Target.Name != "" || got.Devices[1].Target.Name != "net1" || got.Devices[1].VFIO != nil {
		t.Errorf("targets %+v, %+v: want no interface for the vfio-pci VF and net1 for the netdev", got.Devices[0].Target, got.Devices[1].Target)
	}
	nodes, env := v.cdiEdits(t, "a")
	if diff := cmp.Diff(map[string][]string{"uid-a-" + dpdk: {"/dev/vfio/vfio", group}}, nodes); diff != "" {
		t.Errorf("CDI device nodes (-want +got):\n%s", diff)
	}
	wantEnv := map[string][]string{
		"uid-a-" + dpdk: {"NETCLAIM_DPDK_PCI_ADDRESS=" + treeVFIOVF, "NETCLAIM_DPDK_VFIO_GROUP=" + group},
		"uid-a-" + data: {"NETCLAIM_DATA_IFNAME=net1", "NETCLAIM_DATA_PCI_ADDRESS=" + treeVF},
	}
	if diff := cmp.Diff(wantEnv, env); diff != "" {
		t.Errorf("CDI env (-want +got):\n%s", diff)
	}
	if err := v.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatalf("unprepare: %v", err)
	}
	if w := v.kernel.TakeWrites(); len(w) != 0 {
		t.Errorf("sysfs writes for a VF that was on vfio-pci already: %v", w)
	}
}

func TestPrepare_BindFailurePutsVFBackAndForgetsClaim(t *testing.T) {
	v := newVFIOFixture(t)
	v.kernel.Refuse[vfioPCI] = true // as without an IOMMU group
	claim := dpdkClaim(t, "a", v.name(treeVF))

	err := v.prepare(t, claim)[claim.UID].Err

	wantErrContaining(t, err, "claim telco/a", "device "+v.name(treeVF), "vfio-pci did not take PCI device "+treeVF)
	want := append(append([]pt.Write{}, forwardWrites...), pt.Override(treeVF, "\n"), pt.Bind("igbvf", treeVF))
	if diff := cmp.Diff(want, v.kernel.TakeWrites()); diff != "" {
		t.Errorf("sysfs writes (-want +got):\n%s", diff)
	}
	pt.RequireBinding(t, v.driver.pci, treeVF, pt.OnIGBVF)
	if diff := cmp.Diff([]restoreCall{{treeVF, treeVFNetdev}}, v.netdevs.takeRestores()); diff != "" {
		t.Errorf("netdev restores after the failed bind (-want +got):\n%s", diff)
	}
	if c := v.checkpointed(t); len(c) != 0 || len(v.cdiFiles(t)) != 0 {
		t.Errorf("after a failed bind: checkpoint %v, CDI files %v; want none", c, v.cdiFiles(t))
	}
}

func TestPrepare_KeepsClaimWhenVFCannotBePutBackUntilUnprepareRestoresIt(t *testing.T) {
	v := newVFIOFixture(t)
	v.kernel.Refuse[vfioPCI] = true
	v.kernel.Refuse["igbvf"] = true
	claim := dpdkClaim(t, "a", v.name(treeVF))

	err := v.prepare(t, claim)[claim.UID].Err

	wantErrContaining(t, err, "vfio-pci did not take", "putting the devices back failed too, unprepare will retry", "back to igbvf")
	if _, ok := v.checkpointed(t)["uid-a"]; !ok {
		t.Fatal("the claim was forgotten while its VF is off its driver")
	}
	v.kernel.Refuse["igbvf"] = false
	if err := v.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatalf("unprepare: %v", err)
	}
	pt.RequireBinding(t, v.driver.pci, treeVF, pt.OnIGBVF)
	if c := v.checkpointed(t); len(c) != 0 {
		t.Errorf("checkpoint after unprepare = %v", c)
	}
}

// A plugin killed at any point of prepare or unprepare must converge when kubelet retries:
// prepare finishes the binding, unprepare restores the VF, and the driver recorded as
// original is always igbvf, never the vfio-pci of a half-done binding.
func TestPrepareUnprepare_ConvergeAfterACrashAtEveryStep(t *testing.T) {
	type crashPoint struct {
		name  string
		arm   func(v *vfioFixture)
		phase string // "prepare" or "unprepare"
	}
	atWrite := func(n int) func(v *vfioFixture) { return func(v *vfioFixture) { v.kernel.CrashAfter = n } }
	atStep := func(step string) func(v *vfioFixture) {
		return func(v *vfioFixture) {
			v.driver.cfg.StepHook = func(s string) {
				if s == step {
					panic(pt.ErrCrash)
				}
			}
		}
	}
	points := []crashPoint{
		{"bindings recorded, nothing written", atStep(StepPrepareBindingsRecorded), "prepare"},
		{"after driver_override", atWrite(1), "prepare"},
		{"after unbind", atWrite(2), "prepare"},
		{"bound, before the CDI spec", atStep(StepPrepareDriversBound), "prepare"},
		{"CDI spec written, before the checkpoint", atStep(StepPrepareCDIWritten), "prepare"},
		{"unprepare after clearing driver_override", atWrite(1), "unprepare"},
		{"unprepare after unbinding vfio-pci", atWrite(2), "unprepare"},
		{"unprepare after binding igbvf back, before restoring the netdev", func(v *vfioFixture) {
			v.netdevs.onRestore = func() { panic(pt.ErrCrash) }
		}, "unprepare"},
		{"unprepare after restoring the driver", atStep(StepUnprepareDriversRestored), "unprepare"},
	}
	for _, p := range points {
		for _, next := range []string{"prepare", "unprepare"} {
			if p.phase == "unprepare" && next == "prepare" {
				continue
			}
			t.Run(p.name+", then "+next, func(t *testing.T) {
				v := newVFIOFixture(t)
				claim := dpdkClaim(t, "a", v.name(treeVF))
				if p.phase == "unprepare" {
					v.mustPrepare(t, claim)
					v.kernel.TakeWrites()
				}
				p.arm(v)
				crashing(t, p.phase, func() {
					_, ctx := ktesting.NewTestContext(t)
					if p.phase == "prepare" {
						_, _ = v.driver.PrepareResourceClaims(ctx, []*resourceapi.ResourceClaim{claim})
					} else {
						_, _ = v.driver.UnprepareResourceClaims(ctx, v.refs(claim))
					}
				})
				v.kernel.CrashAfter = -1
				v.netdevs.onRestore = nil
				v.start(t)

				if next == "prepare" {
					v.mustPrepare(t, claim)
					pt.RequireBinding(t, v.driver.pci, treeVF, pt.OnVFIO)
					got := v.checkpointed(t)["uid-a"]
					if diff := cmp.Diff(&plan.VFIO{GroupDevice: v.group(t, treeVF), Rebind: &pt.OnIGBVF, Netdev: &treeVFNetdev}, got.Devices[0].VFIO); diff != "" {
						t.Errorf("VFIO plan after the retried prepare (-want +got):\n%s", diff)
					}
					if diff := cmp.Diff([]string{specFile("a")}, v.cdiFiles(t)); diff != "" {
						t.Errorf("CDI files (-want +got):\n%s", diff)
					}
				}
				v.netdevs.takeRestores()
				if err := v.unprepare(t, claim)[claim.UID]; err != nil {
					t.Fatalf("unprepare: %v", err)
				}
				pt.RequireBinding(t, v.driver.pci, treeVF, pt.OnIGBVF)
				if diff := cmp.Diff([]restoreCall{{treeVF, treeVFNetdev}}, v.netdevs.takeRestores()); diff != "" {
					t.Errorf("netdev restores of the last unprepare (-want +got):\n%s", diff)
				}
				if c := v.checkpointed(t); len(c) != 0 || len(v.cdiFiles(t)) != 0 {
					t.Errorf("after unprepare: checkpoint %v, CDI files %v; want none", c, v.cdiFiles(t))
				}
			})
		}
	}
}

func TestPrepare_RefusesVFIORequestsItCannotCarryOut(t *testing.T) {
	tests := []struct {
		name    string
		device  string
		config  string
		arrange func(v *vfioFixture)
		wantErr []string
	}{
		{name: "netdev fields with sriov.driver vfio-pci", device: treeVF,
			config:  "sriov: {driver: vfio-pci, trust: true}\ninterface: {mtu: 1400, mode: passthrough}\naddresses: [192.0.2.10/24]\n",
			wantErr: []string{"config addresses: Forbidden: needs a network interface", "config interface.mtu: Forbidden", "vfio-pci"}},
		{name: "netdev fields on a VF already on vfio-pci", device: treeVFIOVF, config: "routes: [{destination: 192.0.2.0/24}]\n",
			wantErr: []string{"config routes: Forbidden: needs a network interface", "bound to vfio-pci already"}},
		{name: "another driver", device: treeVF, config: "sriov: {driver: igb_uio}\n",
			wantErr: []string{`sriov.driver "igb_uio"`, "set sriov.driver to vfio-pci or igbvf"}},
		{name: "a kernel driver for a VF on vfio-pci", device: treeVFIOVF, config: "sriov: {driver: igbvf}\n",
			wantErr: []string{`sriov.driver "igbvf"`, "is on vfio-pci", "set sriov.driver to vfio-pci, or omit it"}},
		{name: "vfio-pci on a NIC", device: treeNIC, config: "sriov: {driver: vfio-pci}\n",
			wantErr: []string{"applies to SR-IOV VFs", treeNIC + " is a nic"}},
		{name: "synthetic host", device: treeVF, config: "sriov: {driver: vfio-pci}\n",
			arrange: func(v *vfioFixture) { v.driver.pci = pcibind.New(v.hostRoot) },
			wantErr: []string{"driver rebinding needs the live sysfs"}},
		{name: "a VF with a netdev and no keeper to restore it", device: treeVF, config: "sriov: {driver: vfio-pci}\n",
			arrange: func(v *vfioFixture) { v.driver.cfg.Netdevs = nil },
			wantErr: []string{"PCI device " + treeVF + " has netdev ens1f0v0", "no netdev keeper"}},
		{name: "a VF whose netdev cannot be read", device: treeVF, config: "sriov: {driver: vfio-pci}\n",
			arrange: func(v *vfioFixture) { delete(v.netdevs.snapshots, treeVF) },
			wantErr: []string{"recording netdev ens1f0v0 before rebinding its driver", "fake: no netdev"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVFIOFixture(t)
			if tt.arrange != nil {
				tt.arrange(v)
			}
			dev := v.name(tt.device)
			claim := claimSpec{name: "bad", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("dpdk", dev)},
				configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(t, cfgHeader+tt.config)}}.build()

			err := v.prepare(t, claim)[claim.UID].Err

			wantErrContaining(t, err, append([]string{"claim telco/bad", "device " + dev}, tt.wantErr...)...)
			if w := v.kernel.TakeWrites(); len(w) != 0 {
				t.Errorf("sysfs writes for a refused claim: %v", w)
			}
			if c := v.checkpointed(t); len(c) != 0 {
				t.Errorf("checkpoint holds a refused claim: %v", c)
			}
		})
	}
}

func TestPrepare_GivesRDMANetdevItsVerbsDevices(t *testing.T) {
	v := newVFIOFixture(t)
	dev := v.name(treeRDMAVF)
	claim := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("rdma", dev)}}.build()

	v.mustPrepare(t, claim)

	wantNodes := []string{"/dev/infiniband/uverbs1", "/dev/infiniband/rdma_cm"}
	got := v.checkpointed(t)["uid-a"]
	if diff := cmp.Diff(&plan.RDMA{Devices: []string{"mlx5_2"}, DeviceNodes: wantNodes}, got.Devices[0].RDMA); diff != "" {
		t.Errorf("RDMA plan (-want +got):\n%s", diff)
	}
	nodes, env := v.cdiEdits(t, "a")
	name := "uid-a-" + dev
	if diff := cmp.Diff(map[string][]string{name: wantNodes}, nodes); diff != "" {
		t.Errorf("CDI device nodes (-want +got):\n%s", diff)
	}
	wantEnv := []string{"NETCLAIM_RDMA_IFNAME=net1", "NETCLAIM_RDMA_PCI_ADDRESS=" + treeRDMAVF, "NETCLAIM_RDMA_RDMA_DEVICES=mlx5_2"}
	if diff := cmp.Diff(wantEnv, env[name]); diff != "" {
		t.Errorf("CDI env (-want +got):\n%s", diff)
	}
	if w := v.kernel.TakeWrites(); len(w) != 0 {
		t.Errorf("sysfs writes for an RDMA netdev: %v", w)
	}
}

func TestPrepare_RDMAWithoutConnectionManagerGetsOnlyVerbs(t *testing.T) {
	v := newVFIOFixture(t)
	if err := os.RemoveAll(filepath.Join(v.sysfs, "class/misc/rdma_cm")); err != nil {
		t.Fatal(err)
	}
	claim := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("rdma", v.name(treeRDMAVF))}}.build()

	v.mustPrepare(t, claim)

	if diff := cmp.Diff([]string{"/dev/infiniband/uverbs1"}, v.checkpointed(t)["uid-a"].Devices[0].RDMA.DeviceNodes); diff != "" {
		t.Errorf("RDMA device nodes without rdma_ucm (-want +got):\n%s", diff)
	}
}

func (v *vfioFixture) refs(claims ...*resourceapi.ResourceClaim) []kubeletplugin.NamespacedObject {
	refs := make([]kubeletplugin.NamespacedObject, len(claims))
	for i, c := range claims {
		refs[i] = kubeletplugin.NamespacedObject{NamespacedName: types.NamespacedName{Namespace: c.Namespace, Name: c.Name}, UID: c.UID}
	}
	return refs
}

func TestUnprepare_ForgetsClaimWhoseVFIsGone(t *testing.T) {
	v := newVFIOFixture(t)
	claim := dpdkClaim(t, "a", v.name(treeVF))
	v.mustPrepare(t, claim)
	v.kernel.TakeWrites()
	// The admin disabled the PF's VFs: the kernel removes the VF with its binding.
	if err := os.Remove(filepath.Join(v.sysfs, "bus/pci/devices", treeVF)); err != nil {
		t.Fatal(err)
	}

	if err := v.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatalf("unprepare: %v", err)
	}
	if w := v.kernel.TakeWrites(); len(w) != 0 {
		t.Errorf("sysfs writes for a VF that is gone: %v", w)
	}
	if c := v.checkpointed(t); len(c) != 0 {
		t.Errorf("checkpoint after unprepare = %v, want empty", c)
	}
}
