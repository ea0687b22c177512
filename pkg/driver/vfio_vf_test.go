package driver

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/klog/v2/ktesting"

	pt "github.com/netclaim/netclaim/pkg/pcibind/pcibindtest"
	"github.com/netclaim/netclaim/pkg/plan"
)

// dpdkVFSettingsConfig hands treeVF to vfio-pci with PF settings for it.
const dpdkVFSettingsConfig = cfgHeader + "sriov: {driver: vfio-pci, spoofCheck: false, trust: true}\n" +
	"vlan: {id: 100, qos: 2}\ninterface: {mac: \"02:aa:bb:cc:dd:01\"}\n"

// treeVFPlan is what prepare plans for treeVF (VF 0 of ens1f0) with dpdkVFSettingsConfig.
var treeVFPlan = plan.VFPlan{PFName: "ens1f0", PFPCIAddress: treePF, Index: 0, Settings: plan.VFSettings{
	MAC: "02:aa:bb:cc:dd:01", VLAN: &plan.VLAN{ID: 100, QoS: 2, Protocol: "802.1Q"}, SpoofCheck: ptrTo(false), Trust: ptrTo(true)}}

// treeVFOriginal is defaultVFEntry for exactly the fields treeVFPlan sets.
var treeVFOriginal = plan.VFOriginal{MAC: "00:00:00:00:00:00", VLAN: &plan.VLAN{Protocol: "802.1Q"}, SpoofCheck: ptrTo(true), Trust: ptrTo(false)}

func dpdkVFSettingsClaim(t *testing.T, name, device string) *resourceapi.ResourceClaim {
	return claimSpec{name: name, pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("dpdk", device)},
		configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(t, dpdkVFSettingsConfig)}}.build()
}

func TestPrepare_MakesVFSettingsOnPFForVFIOAndUnprepareRestoresThem(t *testing.T) {
	v := newVFIOFixture(t)
	claim := dpdkVFSettingsClaim(t, "a", v.name(treeVF))
	recordedBeforeApply, appliedOnVFIO := false, false
	v.netdevs.pf.onApply = func() {
		c, ok := v.checkpointed(t)["uid-a"]
		recordedBeforeApply = ok && c.Devices[0].VFIO != nil && cmp.Equal(c.Devices[0].VFIO.VF, &treeVFOriginal) &&
			cmp.Equal(c.Devices[0].VFIO.Rebind, &pt.OnIGBVF)
		b, err := v.driver.pci.Binding(treeVF)
		appliedOnVFIO = err == nil && b == pt.OnVFIO
	}

	v.mustPrepare(t, claim)

	if !recordedBeforeApply {
		t.Error("the PF's original entry for the VF was not in the checkpoint, with the binding, before ApplyVF")
	}
	if !appliedOnVFIO {
		t.Error("the VF settings were made before the VF was on vfio-pci (igbvf going down re-registers its own MAC)")
	}
	pt.RequireBinding(t, v.driver.pci, treeVF, pt.OnVFIO)
	got := v.checkpointed(t)["uid-a"].Devices[0]
	if diff := cmp.Diff(&treeVFPlan, got.VF); diff != "" {
		t.Errorf("checkpointed VF plan (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&treeVFOriginal, got.VFIO.VF); diff != "" {
		t.Errorf("checkpointed original VF entry (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(merge(defaultVFEntry, treeVFPlan.Settings), v.netdevs.vfEntry("ens1f0", 0)); diff != "" {
		t.Errorf("PF's entry for the VF after prepare (-want +got):\n%s", diff)
	}

	restoredBeforeNetdev := false
	v.netdevs.onRestore = func() { restoredBeforeNetdev = cmp.Equal(v.netdevs.vfEntry("ens1f0", 0), defaultVFEntry) }
	if err := v.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatalf("unprepare: %v", err)
	}

	if !restoredBeforeNetdev {
		t.Error("the PF's entry was not restored before the VF's netdev (igb refuses the netdev its MAC while the PF pins one)")
	}
	if diff := cmp.Diff(defaultVFEntry, v.netdevs.vfEntry("ens1f0", 0)); diff != "" {
		t.Errorf("PF's entry for the VF after unprepare (-want +got):\n%s", diff)
	}
	wantCalls := []string{"snapshot ens1f0 vf 0", "apply ens1f0 vf 0", `restore ens1f0 vf 0 netdev MAC "` + treeVFNetdev.HardwareAddr + `"`}
	if diff := cmp.Diff(wantCalls, v.netdevs.takeVFCalls()); diff != "" {
		t.Errorf("keeper VF calls (-want +got):\n%s", diff)
	}
	pt.RequireBinding(t, v.driver.pci, treeVF, pt.OnIGBVF)
	if c := v.checkpointed(t); len(c) != 0 {
		t.Errorf("checkpoint after unprepare = %v", c)
	}
}

func TestPrepare_MakesVFSettingsForVFAlreadyOnVFIO(t *testing.T) {
	v := newVFIOFixture(t)
	claim := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("dpdk", v.name(treeVFIOVF))},
		configs: []resourceapi.DeviceAllocationConfiguration{claimConfig(t, cfgHeader+"vlan: {id: 7}\n")}}.build()

	v.mustPrepare(t, claim)

	want := merge(defaultVFEntry, plan.VFSettings{VLAN: &plan.VLAN{ID: 7, Protocol: "802.1Q"}})
	if diff := cmp.Diff(want, v.netdevs.vfEntry("ens1f0", 1)); diff != "" {
		t.Errorf("PF's entry for VF 1 after prepare (-want +got):\n%s", diff)
	}
	if err := v.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatalf("unprepare: %v", err)
	}
	if diff := cmp.Diff(defaultVFEntry, v.netdevs.vfEntry("ens1f0", 1)); diff != "" {
		t.Errorf("PF's entry for VF 1 after unprepare (-want +got):\n%s", diff)
	}
	if w := v.kernel.TakeWrites(); len(w) != 0 {
		t.Errorf("sysfs writes for a VF that was on vfio-pci already: %v", w)
	}
}

func TestPrepare_VFSettingRefusalUndoesAndForgetsClaim(t *testing.T) {
	v := newVFIOFixture(t)
	v.netdevs.pf.applyErr = errors.New("PF ens1f0 (driver igb) refused trust on for VF 0: operation not supported")
	claim := dpdkVFSettingsClaim(t, "a", v.name(treeVF))

	err := v.prepare(t, claim)[claim.UID].Err

	wantErrContaining(t, err, "claim telco/a", "device "+v.name(treeVF), "PF ens1f0 (driver igb) refused trust")
	if diff := cmp.Diff(append(append([]pt.Write{}, forwardWrites...), backWrites...), v.kernel.TakeWrites()); diff != "" {
		t.Errorf("sysfs writes (-want +got):\n%s", diff)
	}
	pt.RequireBinding(t, v.driver.pci, treeVF, pt.OnIGBVF)
	if diff := cmp.Diff([]restoreCall{{treeVF, treeVFNetdev}}, v.netdevs.takeRestores()); diff != "" {
		t.Errorf("netdev restores after the refusal (-want +got):\n%s", diff)
	}
	wantCalls := []string{"snapshot ens1f0 vf 0", "apply ens1f0 vf 0", `restore ens1f0 vf 0 netdev MAC "` + treeVFNetdev.HardwareAddr + `"`}
	if diff := cmp.Diff(wantCalls, v.netdevs.takeVFCalls()); diff != "" {
		t.Errorf("keeper VF calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(defaultVFEntry, v.netdevs.vfEntry("ens1f0", 0)); diff != "" {
		t.Errorf("PF's entry after the refusal (-want +got):\n%s", diff)
	}
	if c := v.checkpointed(t); len(c) != 0 || len(v.cdiFiles(t)) != 0 {
		t.Errorf("after a refused setting: checkpoint %v, CDI files %v; want none", c, v.cdiFiles(t))
	}
}

// A plugin killed after it made the PF settings and before it finished prepare must, on
// kubelet's retry, keep the recorded original: snapshotting again would record
// netclaim's own settings, and unprepare would then leave them behind.
func TestPrepare_ReplayAfterCrashKeepsRecordedVFOriginal(t *testing.T) {
	v := newVFIOFixture(t)
	claim := dpdkVFSettingsClaim(t, "a", v.name(treeVF))
	v.driver.cfg.StepHook = func(s string) {
		if s == StepPrepareDriversBound {
			panic(pt.ErrCrash)
		}
	}
	crashing(t, "prepare", func() {
		_, ctx := ktesting.NewTestContext(t)
		_, _ = v.driver.PrepareResourceClaims(ctx, []*resourceapi.ResourceClaim{claim})
	})
	if diff := cmp.Diff(merge(defaultVFEntry, treeVFPlan.Settings), v.netdevs.vfEntry("ens1f0", 0)); diff != "" {
		t.Fatalf("PF's entry when the plugin died (-want +got):\n%s", diff)
	}
	v.start(t)
	v.netdevs.takeVFCalls()

	v.mustPrepare(t, claim)

	if diff := cmp.Diff([]string{"apply ens1f0 vf 0"}, v.netdevs.takeVFCalls()); diff != "" {
		t.Errorf("keeper VF calls of the retried prepare (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&treeVFOriginal, v.checkpointed(t)["uid-a"].Devices[0].VFIO.VF); diff != "" {
		t.Errorf("original VF entry after the retried prepare (-want +got):\n%s", diff)
	}
	if err := v.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatalf("unprepare: %v", err)
	}
	if diff := cmp.Diff(defaultVFEntry, v.netdevs.vfEntry("ens1f0", 0)); diff != "" {
		t.Errorf("PF's entry after unprepare (-want +got):\n%s", diff)
	}
}

// An unprepare killed after it restored the PF's entry and before it finished restores
// again on kubelet's retry (a no-op on the PF) and completes.
func TestUnprepare_ReplayAfterCrashRestoresVFSettings(t *testing.T) {
	v := newVFIOFixture(t)
	claim := dpdkVFSettingsClaim(t, "a", v.name(treeVF))
	v.mustPrepare(t, claim)
	v.netdevs.onRestore = func() { panic(pt.ErrCrash) }
	crashing(t, "unprepare", func() {
		_, ctx := ktesting.NewTestContext(t)
		_, _ = v.driver.UnprepareResourceClaims(ctx, v.refs(claim))
	})
	v.netdevs.onRestore = nil
	v.start(t)
	v.netdevs.takeVFCalls()

	if err := v.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatalf("unprepare: %v", err)
	}

	wantCalls := []string{`restore ens1f0 vf 0 netdev MAC "` + treeVFNetdev.HardwareAddr + `"`}
	if diff := cmp.Diff(wantCalls, v.netdevs.takeVFCalls()); diff != "" {
		t.Errorf("keeper VF calls of the retried unprepare (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(defaultVFEntry, v.netdevs.vfEntry("ens1f0", 0)); diff != "" {
		t.Errorf("PF's entry after unprepare (-want +got):\n%s", diff)
	}
	pt.RequireBinding(t, v.driver.pci, treeVF, pt.OnIGBVF)
	if c := v.checkpointed(t); len(c) != 0 {
		t.Errorf("checkpoint after unprepare = %v", c)
	}
}
