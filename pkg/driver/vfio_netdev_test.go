package driver

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	pt "github.com/netclaim/netclaim/pkg/pcibind/pcibindtest"
	"github.com/netclaim/netclaim/pkg/plan"
)

func TestUnprepare_KeepsClaimWhenNetdevRestoreFailsUntilARetrySucceeds(t *testing.T) {
	v := newVFIOFixture(t)
	claim := dpdkClaim(t, "a", v.name(treeVF))
	v.mustPrepare(t, claim)
	v.kernel.TakeWrites()
	v.netdevs.err = errors.New("name ens1f0v0 is already taken")

	err := v.unprepare(t, claim)[claim.UID]

	wantErrContaining(t, err, "unpreparing claim telco/a", "device "+v.name(treeVF),
		"restoring netdev ens1f0v0 of PCI device "+treeVF+", a VF of PF ens1f0 ("+treePF+") (the driver created it as ens1f0v0)",
		"name ens1f0v0 is already taken")
	pt.RequireBinding(t, v.driver.pci, treeVF, pt.OnIGBVF)
	stored, ok := v.checkpointed(t)["uid-a"]
	if !ok {
		t.Fatal("the claim was forgotten while its netdev is not restored")
	}
	if diff := cmp.Diff(&treeVFNetdev, stored.Devices[0].VFIO.Netdev); diff != "" {
		t.Errorf("netdev record kept for the retry (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{specFile("a")}, v.cdiFiles(t)); diff != "" {
		t.Errorf("CDI files while the claim is kept (-want +got):\n%s", diff)
	}

	v.netdevs.err = nil
	v.netdevs.takeRestores()
	v.kernel.TakeWrites()
	if err := v.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatalf("retried unprepare: %v", err)
	}
	if w := v.kernel.TakeWrites(); len(w) != 0 {
		t.Errorf("the retried unprepare wrote sysfs although igbvf has the VF: %v", w)
	}
	if diff := cmp.Diff([]restoreCall{{treeVF, treeVFNetdev}}, v.netdevs.takeRestores()); diff != "" {
		t.Errorf("netdev restores of the retried unprepare (-want +got):\n%s", diff)
	}
	if c := v.checkpointed(t); len(c) != 0 || len(v.cdiFiles(t)) != 0 {
		t.Errorf("after the retried unprepare: checkpoint %v, CDI files %v; want none", c, v.cdiFiles(t))
	}
}

func TestUnprepare_KeepsClaimWhenTheRestoredDriverMakesNoNetdev(t *testing.T) {
	v := newVFIOFixture(t)
	claim := dpdkClaim(t, "a", v.name(treeVF))
	v.mustPrepare(t, claim)
	v.kernel.WithholdNetdev = true

	err := v.unprepare(t, claim)[claim.UID]

	wantErrContaining(t, err, "device "+v.name(treeVF), "PCI device "+treeVF+" is back on igbvf but has no netdev", "unprepare will retry")
	if r := v.netdevs.takeRestores(); len(r) != 0 {
		t.Errorf("netdev restores without a netdev: %v", r)
	}
	if _, ok := v.checkpointed(t)["uid-a"]; !ok {
		t.Fatal("the claim was forgotten while its netdev is not restored")
	}

	// The driver's netdev shows up late; kubelet's retry restores it.
	v.kernel.CreateNetdev(treeVF)
	if err := v.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatalf("retried unprepare: %v", err)
	}
	if diff := cmp.Diff([]restoreCall{{treeVF, treeVFNetdev}}, v.netdevs.takeRestores()); diff != "" {
		t.Errorf("netdev restores of the retried unprepare (-want +got):\n%s", diff)
	}
	if c := v.checkpointed(t); len(c) != 0 {
		t.Errorf("checkpoint after the retried unprepare = %v, want empty", c)
	}
}

func TestPrepare_RecordsNoNetdevForAVFWithoutOne(t *testing.T) {
	v := newVFIOFixture(t)
	// igbvf has the VF, but its netdev is in another network namespace: sysfs shows none.
	net := filepath.Join(v.sysfs, "bus/pci/devices", treeVF, "net")
	if err := os.RemoveAll(net); err != nil {
		t.Fatal(err)
	}
	claim := dpdkClaim(t, "a", v.name(treeVF))

	v.mustPrepare(t, claim)

	got := v.checkpointed(t)["uid-a"]
	if diff := cmp.Diff(&plan.VFIO{GroupDevice: v.group(t, treeVF), Rebind: &pt.OnIGBVF}, got.Devices[0].VFIO); diff != "" {
		t.Errorf("checkpointed VFIO plan (-want +got):\n%s", diff)
	}
	if err := v.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatalf("unprepare: %v", err)
	}
	pt.RequireBinding(t, v.driver.pci, treeVF, pt.OnIGBVF)
	if r := v.netdevs.takeRestores(); len(r) != 0 {
		t.Errorf("netdev restores for a VF that had no netdev: %v", r)
	}
}
