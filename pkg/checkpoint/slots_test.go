package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netclaim/netclaim/pkg/plan"
)

func uids(claims []plan.Claim) []string {
	var out []string
	for _, c := range claims {
		out = append(out, c.UID)
	}
	return out
}

// TestOpen_TornWriteFallsBackToThePreviousState simulates a crash in the middle of a slot
// write: the slot holds the start of the new state followed by the rest of the old one.
func TestOpen_TornWriteFallsBackToThePreviousState(t *testing.T) {
	s, path := openTemp(t)
	for _, uid := range []string{"a", "b", "c"} {
		if err := s.Put(testClaim(uid, "p")); err != nil {
			t.Fatal(err)
		}
	}
	// Generations: 0 in slot b (Open), 1 in a, 2 in b, 3 in a. The next write (4) goes to b.
	next, err := encode(map[string]plan.Claim{"d": testClaim("d", "p")}, s.generation+1)
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{1, len(next) / 3, len(next) - 2} {
		f, err := os.OpenFile(slotPath(path, s.nextSlot), os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt(next[:cut], 0); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		got := reopen(t, path).List()
		if diff := cmp.Diff([]string{"a", "b", "c"}, uids(got)); diff != "" {
			t.Errorf("claims after a write torn at byte %d (-want +got):\n%s", cut, diff)
		}
	}
}

func TestOpen_BothSlotsDamagedIsCorrupt(t *testing.T) {
	s, path := openTemp(t)
	if err := s.Put(testClaim("a", "p")); err != nil {
		t.Fatal(err)
	}
	for slot := range 2 {
		if err := os.WriteFile(slotPath(path, slot), []byte(`{"version":`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Open(path)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open with both slots damaged: err = %v, want ErrCorrupt", err)
	}
	if !strings.Contains(err.Error(), slotPath(path, 0)) || !strings.Contains(err.Error(), slotPath(path, 1)) {
		t.Errorf("error %q does not name both slot files", err)
	}
}

func TestOpen_TakesOverASingleFileCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoint.json")
	legacy, err := encode(map[string]plan.Claim{"a": testClaim("a", "p")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, legacy, 0o600); err != nil {
		t.Fatal(err)
	}
	s := reopen(t, path)
	if diff := cmp.Diff([]plan.Claim{testClaim("a", "p")}, s.List()); diff != "" {
		t.Errorf("claims taken over (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the single-file checkpoint is still there after the takeover (stat: %v)", err)
	}
	if diff := cmp.Diff([]string{"a"}, uids(reopen(t, path).List())); diff != "" {
		t.Errorf("claims after a second open (-want +got):\n%s", diff)
	}
}

// TestWrites_RewriteSlotsInPlace checks the property the double buffering exists for: no
// write replaces a file (a replaced inode is freed through RCU, which the next netns move
// waits for), and writes alternate between the two slots.
func TestWrites_RewriteSlotsInPlace(t *testing.T) {
	s, path := openTemp(t)
	var before [2]os.FileInfo
	for slot := range 2 {
		fi, err := os.Stat(slotPath(path, slot))
		if err != nil {
			t.Fatal(err)
		}
		before[slot] = fi
	}
	for i, uid := range []string{"a", "b", "c", "d"} {
		if err := s.Put(testClaim(uid, "p")); err != nil {
			t.Fatal(err)
		}
		written := i % 2 // generation i+1 goes to slot a (0) first, then b
		_, gen, err := decode(path, mustRead(t, slotPath(path, written)))
		if err != nil || gen != uint64(i+1) {
			t.Errorf("write %d: slot %d holds generation %d (err %v), want %d", i+1, written, gen, err, i+1)
		}
	}
	for slot := range 2 {
		fi, err := os.Stat(slotPath(path, slot))
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(before[slot], fi) {
			t.Errorf("slot %d was replaced by another file instead of rewritten in place", slot)
		}
	}
	got, err := Inspect(path)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d"}, uids(got)); diff != "" {
		t.Errorf("Inspect (-want +got):\n%s", diff)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
