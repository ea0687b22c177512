package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"
	"tags.cncf.io/container-device-interface/pkg/cdi"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/plan"
)

func TestPrepareUnprepare_AreIdempotent(t *testing.T) {
	f := newFixture(t, vf1)
	claim := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)}}.build()

	first := f.mustPrepare(t, claim)
	ckpt := f.checkpointBytes(t)
	if ckpt == nil {
		t.Fatal("no checkpoint written by prepare")
	}
	second := f.mustPrepare(t, claim)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("second prepare returned a different result (-first +second):\n%s", diff)
	}
	if !bytes.Equal(ckpt, f.checkpointBytes(t)) {
		t.Error("second prepare of the same claim rewrote the checkpoint")
	}
	if diff := cmp.Diff([]string{specFile("a")}, f.cdiFiles(t)); diff != "" {
		t.Errorf("CDI dir after two prepares (-want +got):\n%s", diff)
	}

	for i := range 2 {
		if err := f.unprepare(t, claim)[claim.UID]; err != nil {
			t.Fatalf("unprepare #%d: %v", i+1, err)
		}
	}
	unknown := claimSpec{name: "never-prepared"}.build()
	if err := f.unprepare(t, unknown)[unknown.UID]; err != nil {
		t.Errorf("unprepare of an unknown claim: %v", err)
	}
	if got := f.checkpointed(t); len(got) != 0 {
		t.Errorf("checkpoint after unprepare = %v, want empty", got)
	}
	if got := f.cdiFiles(t); len(got) != 0 {
		t.Errorf("CDI dir after unprepare = %v, want empty", got)
	}
}

func TestPrepare_RecordsPlanInCheckpoint(t *testing.T) {
	f := newFixture(t, vf1)
	claim := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)},
		configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(t, `
apiVersion: netclaim.dev/v1alpha1
kind: NetworkConfig
interface: {name: data0, mtu: 8000, mac: "02:aa:00:00:00:01"}
addresses: ["192.0.2.10/24"]
routes: [{destination: 198.51.100.0/24, gateway: 192.0.2.1, table: 100}]
`)}}.build()

	f.mustPrepare(t, claim)

	want := plan.Claim{
		UID: "uid-a", Namespace: testNS, Name: "a",
		PodUID: "pod-uid-p",
		Devices: []plan.Device{{
			Request: "data", Pool: testNode, Device: vf1.Name,
			Host:      plan.HostLink{Name: "ens1f0v1", PCIAddress: "0000:3b:02.1", HardwareAddr: "02:00:00:00:02:01"},
			Target:    plan.Interface{Name: "data0", MTU: 8000, HardwareAddr: "02:aa:00:00:00:01"},
			Addresses: []string{"192.0.2.10/24"},
			Routes:    []plan.Route{{Destination: "198.51.100.0/24", Gateway: "192.0.2.1", Table: 100}},
		}},
		CDIDeviceIDs: []string{"netclaim.dev/net=uid-a-" + vf1.Name},
	}
	if diff := cmp.Diff(map[string]plan.Claim{"uid-a": want}, f.checkpointed(t)); diff != "" {
		t.Errorf("checkpoint (-want +got):\n%s", diff)
	}
}

func TestPrepare_ReturnsDevicesWithCDIIDs(t *testing.T) {
	f := newFixture(t, vf1, veth1)
	claim := claimSpec{name: "a", pods: []string{"p"},
		results: []resourceapi.DeviceRequestAllocationResult{result("data/fast", vf1.Name), result("ctrl", veth1.Name)}}.build()

	got := f.mustPrepare(t, claim)[claim.UID]

	want := kubeletplugin.PrepareResult{Devices: []kubeletplugin.Device{
		{Requests: []string{"data"}, PoolName: testNode, DeviceName: vf1.Name, CDIDeviceIDs: []string{"netclaim.dev/net=uid-a-" + vf1.Name}},
		{Requests: []string{"ctrl"}, PoolName: testNode, DeviceName: veth1.Name, CDIDeviceIDs: []string{"netclaim.dev/net=uid-a-" + veth1.Name}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

// cdiSpec is the part of a CDI spec the tests check: kind and each device's env.
type cdiSpec struct {
	Kind    string
	Devices map[string][]string
}

// cdiParseSpecFile reads a spec back with the CDI library, which validates it as a
// runtime would.
func cdiParseSpecFile(path string) (cdiSpec, error) {
	spec, err := cdi.ReadSpec(path, 0)
	if err != nil {
		return cdiSpec{}, err
	}
	out := cdiSpec{Kind: spec.Kind, Devices: map[string][]string{}}
	for _, d := range spec.Devices {
		out.Devices[d.Name] = d.ContainerEdits.Env
	}
	return out, nil
}

const cfgHeader = "apiVersion: netclaim.dev/v1alpha1\nkind: NetworkConfig\n"

func TestPrepare_RejectsBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		devices []inventory.Device
		claims  func(t *testing.T) []claimSpec
		// failing is the claim that must fail; wantErr are parts of its error.
		failing string
		wantErr []string
	}{
		{
			name: "unknown field",
			claims: func(t *testing.T) []claimSpec {
				return []claimSpec{{name: "bad", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)},
					configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(t, cfgHeader+"interface: {nmae: data0}\n")}}}
			},
			failing: "bad",
			wantErr: []string{"claim telco/bad", "config[0]", `unknown field "interface.nmae"`},
		},
		{
			name: "MTU above the parent's",
			claims: func(t *testing.T) []claimSpec {
				return []claimSpec{{name: "bad", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", nic1.Name)},
					configs: []resourceapi.DeviceAllocationConfiguration{classConfig(t, cfgHeader+"interface: {mtu: 9000}\n")}}}
			},
			failing: "bad",
			wantErr: []string{"claim telco/bad", "device " + nic1.Name, "interface.mtu", "1500"},
		},
		{
			name: "wrong kind",
			claims: func(t *testing.T) []claimSpec {
				return []claimSpec{{name: "bad", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)},
					configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(t, "apiVersion: netclaim.dev/v1alpha1\nkind: NetConfig\n")}}}
			},
			failing: "bad",
			wantErr: []string{"claim telco/bad", "config[0]", "kind", `"NetConfig"`},
		},
		{
			name: "same interface name in two claims of one pod",
			claims: func(t *testing.T) []claimSpec {
				named := cfgHeader + "interface: {name: data0}\n"
				return []claimSpec{
					{name: "first", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)},
						configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(t, named)}},
					{name: "second", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf2.Name)},
						configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(t, named)}},
				}
			},
			failing: "second",
			wantErr: []string{"claim telco/second", vf2.Name, "interface.name", `"data0"`, "telco/first"},
		},
		{
			name: "field not implemented yet",
			claims: func(t *testing.T) []claimSpec {
				return []claimSpec{{name: "bad", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)},
					configs: []resourceapi.DeviceAllocationConfiguration{classConfig(t, cfgHeader+"ipam: {pool: signalling}\n")}}}
			},
			failing: "bad",
			wantErr: []string{"claim telco/bad", "device " + vf1.Name, "config ipam: Forbidden: not implemented yet in this version"},
		},
		{
			name: "vfio-pci VF has no netdev to configure",
			claims: func(t *testing.T) []claimSpec {
				return []claimSpec{{name: "bad", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vfioVF.Name)},
					configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(t, cfgHeader+"interface: {name: dpdk0}\n")}}}
			},
			failing: "bad",
			wantErr: []string{"claim telco/bad", "device " + vfioVF.Name, "interface.name", "vfio-pci", "has none"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, vf1, vf2, nic1, vfioVF)
			claims := buildAll(tt.claims(t)...)

			results := f.prepare(t, claims...)

			failing := claimUID(tt.failing)
			wantErrContaining(t, results[failing].Err, tt.wantErr...)
			if len(results[failing].Devices) != 0 {
				t.Errorf("failed claim returned devices %v", results[failing].Devices)
			}
			for _, c := range claims {
				if c.UID != failing && results[c.UID].Err != nil {
					t.Errorf("claim %s failed too: %v", c.Name, results[c.UID].Err)
				}
			}
			if _, ok := f.checkpointed(t)[string(failing)]; ok {
				t.Error("failed claim is in the checkpoint")
			}
			for _, name := range f.cdiFiles(t) {
				if name == specFile(tt.failing) {
					t.Errorf("failed claim has a CDI spec %s", name)
				}
			}
			events := f.events()
			if len(events) != 1 || !strings.HasPrefix(events[0], "Warning PrepareFailed ") {
				t.Fatalf("events = %q, want one Warning PrepareFailed", events)
			}
			for _, part := range tt.wantErr {
				if !strings.Contains(events[0], part) {
					t.Errorf("event %q does not mention %q", events[0], part)
				}
			}
		})
	}
}

func TestPrepare_RefusesUnusableClaims(t *testing.T) {
	otherPool := result("data", vf1.Name)
	otherPool.Pool = "node-b"
	admin := result("data", vf1.Name)
	adminAccess := true
	admin.AdminAccess = &adminAccess
	tests := []struct {
		name    string
		spec    claimSpec
		wantErr []string
	}{
		{"reserved for two pods", claimSpec{name: "c", pods: []string{"p", "q"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)}},
			[]string{"claim telco/c", "reserved for 2 consumers; netclaim devices are exclusive to one pod"}},
		{"reserved for nobody", claimSpec{name: "c", results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)}},
			[]string{"claim telco/c", "reserved for 0 consumers"}},
		{"not allocated", claimSpec{name: "c", pods: []string{"p"}, unallocated: true},
			[]string{"claim telco/c", "not allocated"}},
		{"device gone from the inventory", claimSpec{name: "c", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", "pci-0000-99-00-0")}},
			[]string{"claim telco/c", "device pci-0000-99-00-0", "no longer present on node " + testNode}},
		{"device from another node's pool", claimSpec{name: "c", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{otherPool}},
			[]string{"claim telco/c", vf1.Name, `pool "node-b"`}},
		{"admin access", claimSpec{name: "c", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{admin}},
			[]string{"claim telco/c", vf1.Name, "adminAccess"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, vf1)
			claim := tt.spec.build()
			wantErrContaining(t, f.prepare(t, claim)[claim.UID].Err, tt.wantErr...)
			if got := f.checkpointed(t); len(got) != 0 {
				t.Errorf("checkpoint = %v, want empty", got)
			}
			if got := f.cdiFiles(t); len(got) != 0 {
				t.Errorf("CDI dir = %v, want empty", got)
			}
		})
	}
}

func TestPrepare_RefusesReservedForNonPod(t *testing.T) {
	f := newFixture(t, vf1)
	claim := claimSpec{name: "c", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)}}.build()
	claim.Status.ReservedFor[0].APIGroup = "apps"
	claim.Status.ReservedFor[0].Resource = "deployments"
	wantErrContaining(t, f.prepare(t, claim)[claim.UID].Err, "not a pod", "deployments")
}

func TestPrepare_RefusesDeviceAlreadyPreparedForAnotherClaim(t *testing.T) {
	f := newFixture(t, vf1)
	first := claimSpec{name: "first", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)}}.build()
	second := claimSpec{name: "second", pods: []string{"q"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)}}.build()
	f.mustPrepare(t, first)

	wantErrContaining(t, f.prepare(t, second)[second.UID].Err, "claim telco/second", vf1.Name, "already prepared for claim telco/first")
}

func TestPrepare_SkipsOtherDriversDevicesAndConfigs(t *testing.T) {
	f := newFixture(t, vf1)
	foreign := result("gpu", "gpu-0")
	foreign.Driver = "gpu.example.com"
	foreign.Pool = "some-pool"
	foreignCfg := claimConfig(t, "not: a netclaim config\n")
	foreignCfg.Opaque.Driver = "gpu.example.com"
	claim := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{foreign, result("data", vf1.Name)},
		configs: []resourceapi.DeviceAllocationConfiguration{foreignCfg}}.build()

	got := f.mustPrepare(t, claim)[claim.UID]

	var names []string
	for _, d := range got.Devices {
		names = append(names, d.DeviceName)
	}
	if diff := cmp.Diff([]string{vf1.Name}, names); diff != "" {
		t.Errorf("prepared devices (-want +got):\n%s", diff)
	}
}

func TestPrepare_MergesClassThenClaimConfigAndFiltersByRequest(t *testing.T) {
	f := newFixture(t, vf1, vf2)
	claim := claimSpec{name: "a", pods: []string{"p"},
		results: []resourceapi.DeviceRequestAllocationResult{result("data/fast", vf1.Name), result("ctrl", vf2.Name)},
		// Allocation order mixes sources; class configs must still apply first.
		configs: []resourceapi.DeviceAllocationConfiguration{
			claimConfig(t, cfgHeader+"interface: {name: data0, mtu: 8000}\n", "data"),
			classConfig(t, cfgHeader+"interface: {mtu: 1400}\naddresses: [192.0.2.1/24]\n"),
			claimConfig(t, cfgHeader+"addresses: [198.51.100.7/24]\n", "ctrl"),
			classConfig(t, cfgHeader+"interface: {mac: \"02:aa:00:00:00:01\"}\n", "data/fast"),
		}}.build()

	f.mustPrepare(t, claim)

	type device struct {
		Target    plan.Interface
		Addresses []string
	}
	var got []device
	for _, d := range f.checkpointed(t)["uid-a"].Devices {
		got = append(got, device{d.Target, d.Addresses})
	}
	want := []device{
		// class: mtu 1400 + address + MAC (subrequest config); claim for "data": name and MTU win.
		{plan.Interface{Name: "data0", MTU: 8000, HardwareAddr: "02:aa:00:00:00:01"}, []string{"192.0.2.1/24"}},
		// class: mtu 1400 + address; claim for "ctrl": addresses replaced; data's name/MTU not applied.
		{plan.Interface{Name: "net1", MTU: 1400}, []string{"198.51.100.7/24"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("devices' merged config (-want +got):\n%s", diff)
	}
}

func TestPrepare_DefaultNamesFollowRequestOrderAndSkipExplicitNames(t *testing.T) {
	f := newFixture(t, vf1, vf2, nic1, veth1)
	named := cfgHeader + "interface: {name: net1}\n"
	claims := buildAll(
		claimSpec{name: "a", pods: []string{"p"},
			results: []resourceapi.DeviceRequestAllocationResult{result("first", vf1.Name), result("second", vf2.Name)},
			configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(t, named, "second")}},
		claimSpec{name: "b", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("third", nic1.Name)}},
		// Another pod's names are its own.
		claimSpec{name: "c", pods: []string{"other"}, results: []resourceapi.DeviceRequestAllocationResult{result("x", veth1.Name)}},
	)

	f.mustPrepare(t, claims...)

	got := map[string]string{}
	for _, c := range f.checkpointed(t) {
		for _, d := range c.Devices {
			got[d.Device] = d.Target.Name
		}
	}
	want := map[string]string{vf1.Name: "net2", vf2.Name: "net1", nic1.Name: "net3", veth1.Name: "net1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("interface names by device (-want +got):\n%s", diff)
	}
}

func TestPrepare_DefaultNamesSkipNamesOfClaimsPreparedEarlierForThePod(t *testing.T) {
	f := newFixture(t, vf1, vf2, nic1)
	earlier := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)}}.build()
	f.mustPrepare(t, earlier)
	later := claimSpec{name: "b", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf2.Name)}}.build()
	clash := claimSpec{name: "c", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", nic1.Name)},
		configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(t, cfgHeader+"interface: {name: net1}\n")}}.build()

	results := f.prepare(t, later, clash)

	if err := results[later.UID].Err; err != nil {
		t.Fatalf("later claim: %v", err)
	}
	if got := f.checkpointed(t)["uid-b"].Devices[0].Target.Name; got != "net2" {
		t.Errorf("later claim's default name = %q, want net2 (net1 is the earlier claim's)", got)
	}
	wantErrContaining(t, results[clash.UID].Err, "claim telco/c", nic1.Name, "interface.name", `"net1"`, "telco/a")
}

func TestPrepare_WritesCDISpecWithInterfaceEnv(t *testing.T) {
	f := newFixture(t, vf1, vf2, veth1)
	claim := claimSpec{name: "a", pods: []string{"p"},
		results: []resourceapi.DeviceRequestAllocationResult{result("data-plane", vf1.Name), result("data-plane", vf2.Name), result("ctrl", veth1.Name)},
		configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(t, cfgHeader+"interface: {name: ctl0}\n", "ctrl")}}.build()

	got := f.mustPrepare(t, claim)[claim.UID]

	spec, err := cdiParseSpecFile(filepath.Join(f.cdiDir, specFile("a")))
	if err != nil {
		t.Fatal(err)
	}
	want := cdiSpec{
		Kind: "netclaim.dev/net",
		Devices: map[string][]string{
			"uid-a-" + vf1.Name:   {"NETCLAIM_DATA_PLANE_0_IFNAME=net1", "NETCLAIM_DATA_PLANE_0_PCI_ADDRESS=0000:3b:02.1"},
			"uid-a-" + vf2.Name:   {"NETCLAIM_DATA_PLANE_1_IFNAME=net2", "NETCLAIM_DATA_PLANE_1_PCI_ADDRESS=0000:3b:02.2"},
			"uid-a-" + veth1.Name: {"NETCLAIM_CTRL_IFNAME=ctl0"},
		},
	}
	if diff := cmp.Diff(want, spec); diff != "" {
		t.Errorf("CDI spec (-want +got):\n%s", diff)
	}
	var ids []string
	for _, d := range got.Devices {
		ids = append(ids, d.CDIDeviceIDs...)
	}
	wantIDs := []string{"netclaim.dev/net=uid-a-" + vf1.Name, "netclaim.dev/net=uid-a-" + vf2.Name, "netclaim.dev/net=uid-a-" + veth1.Name}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("CDI IDs returned (-want +got):\n%s", diff)
	}

	if err := f.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(f.cdiDir, specFile("a"))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("CDI spec still there after unprepare (stat err %v)", err)
	}
}

func TestPrepare_AfterRestartReturnsRecordedResult(t *testing.T) {
	f := newFixture(t, vf1)
	claim := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)}}.build()
	before := f.mustPrepare(t, claim)
	ckpt := f.checkpointBytes(t)

	// A restart after the device vanished, with /var/run (the CDI dir) emptied by a reboot:
	// the recorded plan is what the pod got, so it is returned as is, and the spec comes back.
	delete(f.inventory, vf1.Name)
	if err := os.RemoveAll(f.cdiDir); err != nil {
		t.Fatal(err)
	}
	f.start(t)
	after := f.mustPrepare(t, claim)

	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("result after restart (-before +after):\n%s", diff)
	}
	if !bytes.Equal(ckpt, f.checkpointBytes(t)) {
		t.Error("prepare after restart rewrote the checkpoint")
	}
	if diff := cmp.Diff([]string{specFile("a")}, f.cdiFiles(t)); diff != "" {
		t.Errorf("CDI dir after restart (-want +got):\n%s", diff)
	}
}

func TestPrepare_CheckpointWriteFailureFailsTheBatchAndRemovesSpecs(t *testing.T) {
	f := newFixture(t, vf1, vf2)
	claims := buildAll(
		claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)}},
		claimSpec{name: "b", pods: []string{"q"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf2.Name)}},
	)
	// Without its directory the checkpoint's temp file cannot be created.
	if err := os.RemoveAll(filepath.Dir(f.ckptPath)); err != nil {
		t.Fatal(err)
	}

	results := f.prepare(t, claims...)

	for _, c := range claims {
		wantErrContaining(t, results[c.UID].Err, "claim telco/"+c.Name, "writing checkpoint")
	}
	if got := f.cdiFiles(t); len(got) != 0 {
		t.Errorf("CDI specs left after the failed checkpoint write: %v", got)
	}
}

func TestPrepare_ClaimWithoutDevicesOfThisDriver(t *testing.T) {
	f := newFixture(t)
	foreign := result("gpu", "gpu-0")
	foreign.Driver = "gpu.example.com"
	claim := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{foreign}}.build()

	got := f.mustPrepare(t, claim)[claim.UID]

	if diff := cmp.Diff(kubeletplugin.PrepareResult{Devices: []kubeletplugin.Device{}}, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if files := f.cdiFiles(t); len(files) != 0 {
		t.Errorf("CDI files for a claim without devices: %v", files)
	}
}

func TestNew_RequiresConfig(t *testing.T) {
	_, err := New(Config{})
	wantErrContaining(t, err, "DriverName", "NodeName", "Checkpoint", "CDIDir", "Devices")
}

func TestWatchHealthStatus_NotSupported(t *testing.T) {
	f := newFixture(t)
	err := f.driver.WatchHealthStatus(context.Background(), make(chan kubeletplugin.DeviceHealthReport))
	if !errors.Is(err, kubeletplugin.ErrHealthNotSupported) {
		t.Errorf("WatchHealthStatus = %v, want ErrHealthNotSupported", err)
	}
}

func TestHandleError_FatalErrorsReachOnFatalError(t *testing.T) {
	var fatal []error
	d := &Driver{cfg: Config{OnFatalError: func(err error) { fatal = append(fatal, err) }}}
	ctx := context.Background()
	d.HandleError(ctx, fmt.Errorf("publishing: %w", kubeletplugin.ErrRecoverable), "recoverable")
	d.HandleError(ctx, errors.New("dropped fields"), "fatal")
	if len(fatal) != 1 || !strings.Contains(fatal[0].Error(), "dropped fields") {
		t.Errorf("OnFatalError got %v, want only the fatal error", fatal)
	}
}

func benchmarkPrepare(b *testing.B, n int) {
	devices := make([]inventory.Device, n)
	specs := make([]claimSpec, n)
	for i := range n {
		devices[i] = vf1
		devices[i].Name = fmt.Sprintf("pci-0000-3b-%02x-%d", i/8, i%8)
		devices[i].IfName = fmt.Sprintf("ens1f0v%d", i)
		specs[i] = claimSpec{name: fmt.Sprint("c", i), pods: []string{fmt.Sprint("p", i)},
			results: []resourceapi.DeviceRequestAllocationResult{result("data", devices[i].Name)},
			configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(b, cfgHeader+"interface: {mtu: 1500}\naddresses: [192.0.2.10/24]\n")}}
	}
	f := newFixture(b, devices...)
	claims := buildAll(specs...)
	refs := make([]kubeletplugin.NamespacedObject, n)
	for i, c := range claims {
		refs[i] = kubeletplugin.NamespacedObject{UID: c.UID}
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		results, err := f.driver.PrepareResourceClaims(ctx, claims)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range results {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
		b.StopTimer()
		if _, err := f.driver.UnprepareResourceClaims(ctx, refs); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkPrepare_1Claim and BenchmarkPrepare_100Claims are one kubelet call each,
// including the CDI spec writes and the checkpoint's fsyncs.
func BenchmarkPrepare_1Claim(b *testing.B)    { benchmarkPrepare(b, 1) }
func BenchmarkPrepare_100Claims(b *testing.B) { benchmarkPrepare(b, 100) }

// A plugin killed between writing a spec and persisting the plan leaves a spec no
// checkpoint entry owns; if the claim is deleted meanwhile nobody unprepares it, so the
// restarted plugin removes it. Specs of recorded claims and foreign files stay.
func TestNew_RemovesCDISpecsOfClaimsTheCheckpointDoesNotHold(t *testing.T) {
	f := newFixture(t, vf1)
	kept := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)}}.build()
	f.mustPrepare(t, kept)
	orphan := filepath.Join(f.cdiDir, specFile("ghost"))
	foreign := filepath.Join(f.cdiDir, "other-vendor.dev-gpu_x.json")
	for _, p := range []string{orphan, foreign} {
		if err := os.WriteFile(p, []byte(`{"cdiVersion":"0.6.0","kind":"x/y","devices":[]}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	f.start(t)

	if diff := cmp.Diff([]string{specFile("a"), "other-vendor.dev-gpu_x.json"}, f.cdiFiles(t)); diff != "" {
		t.Errorf("CDI dir after restart (-want +got):\n%s", diff)
	}
}
