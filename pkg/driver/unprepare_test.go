package driver

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"

	"github.com/netclaim/netclaim/pkg/plan"
)

// attachedClaim prepares a claim and records an attachment, as the NRI hook would.
func attachedClaim(t *testing.T, f *fixture) *resourceapi.ResourceClaim {
	t.Helper()
	claim := claimSpec{name: "a", pods: []string{"p"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf1.Name)}}.build()
	f.mustPrepare(t, claim)
	err := f.store.Update(string(claim.UID), func(c *plan.Claim) error {
		c.Attachment = &plan.Attachment{SandboxID: "sandbox-1", NetnsPath: "/var/run/netns/cni-1",
			Originals: []plan.Original{{Name: vf1.IfName, MTU: 9000, HardwareAddr: vf1.MAC}}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return claim
}

func TestUnprepare_DetachesAnAttachedClaimBeforeForgettingIt(t *testing.T) {
	f := newFixture(t, vf1)
	claim := attachedClaim(t, f)

	if err := f.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatalf("unprepare: %v", err)
	}

	if diff := cmp.Diff([]string{"uid-a"}, f.detacher.calls()); diff != "" {
		t.Errorf("detached claims (-want +got):\n%s", diff)
	}
	if got := f.checkpointed(t); len(got) != 0 {
		t.Errorf("checkpoint after unprepare = %v, want empty", got)
	}
	if got := f.cdiFiles(t); len(got) != 0 {
		t.Errorf("CDI dir after unprepare = %v, want empty", got)
	}
}

func TestUnprepare_KeepsClaimWhenDetachFails(t *testing.T) {
	f := newFixture(t, vf1)
	claim := attachedClaim(t, f)
	f.detacher.err = errors.New("netns busy")

	wantErrContaining(t, f.unprepare(t, claim)[claim.UID], "telco/a", "sandbox-1", "netns busy")

	got, ok := f.checkpointed(t)["uid-a"]
	if !ok || got.Attachment == nil {
		t.Fatalf("claim after a failed detach = %+v (in checkpoint: %v), want it kept with its attachment", got, ok)
	}
	if _, err := os.Stat(filepath.Join(f.cdiDir, specFile("a"))); err != nil {
		t.Errorf("CDI spec removed although unprepare failed: %v", err)
	}

	// The kubelet retries; once detach works the claim goes.
	f.detacher.err = nil
	if err := f.unprepare(t, claim)[claim.UID]; err != nil {
		t.Fatalf("retried unprepare: %v", err)
	}
	if diff := cmp.Diff([]string{"uid-a", "uid-a"}, f.detacher.calls()); diff != "" {
		t.Errorf("detach calls (-want +got):\n%s", diff)
	}
	if got := f.checkpointed(t); len(got) != 0 {
		t.Errorf("checkpoint after the retry = %v, want empty", got)
	}
}

func TestUnprepare_WithoutDetacherKeepsAttachedClaim(t *testing.T) {
	f := newFixture(t, vf1)
	claim := attachedClaim(t, f)
	f.driver.cfg.Detacher = nil

	wantErrContaining(t, f.unprepare(t, claim)[claim.UID], "still attached", "no detacher")
	if _, ok := f.checkpointed(t)["uid-a"]; !ok {
		t.Error("attached claim forgotten without a detach")
	}
}

func TestUnprepare_OnlyFailedClaimsStay(t *testing.T) {
	f := newFixture(t, vf1, vf2)
	attached := attachedClaim(t, f)
	plain := claimSpec{name: "b", pods: []string{"q"}, results: []resourceapi.DeviceRequestAllocationResult{result("data", vf2.Name)}}.build()
	f.mustPrepare(t, plain)
	f.detacher.err = errors.New("netns busy")

	results := f.unprepare(t, attached, plain)

	if results[attached.UID] == nil {
		t.Error("unprepare of the attached claim succeeded although detach failed")
	}
	if err := results[plain.UID]; err != nil {
		t.Errorf("unprepare of the other claim: %v", err)
	}
	var uids []string
	for uid := range f.checkpointed(t) {
		uids = append(uids, uid)
	}
	if diff := cmp.Diff([]string{"uid-a"}, uids); diff != "" {
		t.Errorf("claims left in the checkpoint (-want +got):\n%s", diff)
	}
}
