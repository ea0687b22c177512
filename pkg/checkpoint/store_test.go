package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netclaim/netclaim/pkg/plan"
)

// testClaim returns a claim with every field set, so round trips and copies are checked
// on all of them.
func testClaim(uid, podUID string) plan.Claim {
	return plan.Claim{
		UID:       uid,
		Namespace: "ns",
		Name:      "claim-" + uid,
		PodUID:    podUID,
		Devices: []plan.Device{{
			Request: "data",
			Pool:    "node-a",
			Device:  "pci-0000-3b-02-1",
			Host: plan.HostLink{
				Name:         "ens1f0v1",
				PCIAddress:   "0000:3b:02.1",
				HardwareAddr: "02:00:00:00:00:01",
			},
			Target:    plan.Interface{Name: "net1", MTU: 1500, HardwareAddr: "02:00:00:00:00:02"},
			Addresses: []string{"192.0.2.10/24", "2001:db8::10/64"},
			Routes:    []plan.Route{{Destination: "198.51.100.0/24", Gateway: "192.0.2.1", Table: 100}},
			Mode:      plan.ModeVLAN,
			VLAN:      &plan.VLAN{ID: 100, QoS: 3, Protocol: "802.1Q"},
			VRF:       &plan.VRF{Name: "blue", Table: 1001},
			Rules:     []plan.Rule{{Priority: ptrTo(100), From: "192.0.2.0/24", To: "198.51.100.0/24", Table: 1001}},
			VFIO: &plan.VFIO{GroupDevice: "/dev/vfio/12", Rebind: &plan.Binding{Driver: "iavf", DriverOverride: "iavf"},
				Netdev: &plan.Original{Name: "ens1f0v1", MTU: 9000, HardwareAddr: "02:00:00:00:00:01", Up: true,
					VF: &plan.VFOriginal{MAC: "02:00:00:00:00:01", VLAN: &plan.VLAN{ID: 10, QoS: 1, Protocol: "802.1Q"}, SpoofCheck: ptrTo(true),
						Trust: ptrTo(true), MinTxRateMbps: ptrTo(10), MaxTxRateMbps: ptrTo(20), LinkState: "auto"}},
				VF: &plan.VFOriginal{MAC: "02:00:00:00:00:03", VLAN: &plan.VLAN{ID: 30, QoS: 2, Protocol: "802.1Q"}, SpoofCheck: ptrTo(true),
					Trust: ptrTo(true), MinTxRateMbps: ptrTo(5), MaxTxRateMbps: ptrTo(50), LinkState: "disable"}},
			RDMA: &plan.RDMA{Devices: []string{"mlx5_2"}, DeviceNodes: []string{"/dev/infiniband/uverbs2", "/dev/infiniband/rdma_cm"}},
			VF: &plan.VFPlan{PFName: "ens1f0", PFPCIAddress: "0000:3b:00.0", Index: 1, Settings: plan.VFSettings{
				MAC: "02:00:00:00:00:02", VLAN: &plan.VLAN{ID: 200, QoS: 5, Protocol: "802.1ad"},
				SpoofCheck: ptrTo(true), Trust: ptrTo(true), MinTxRateMbps: ptrTo(100), MaxTxRateMbps: ptrTo(1000), LinkState: "enable",
			}},
		}},
		CDIDeviceIDs: []string{"netclaim.dev/net=" + uid + "-pci-0000-3b-02-1"},
		Attachment: &plan.Attachment{
			SandboxID: "sandbox-" + podUID,
			NetnsPath: "/var/run/netns/cni-" + podUID,
			Originals: []plan.Original{{
				Name: "ens1f0v1", MTU: 9000, HardwareAddr: "02:00:00:00:00:01", Up: true,
				VF: &plan.VFOriginal{MAC: "02:00:00:00:00:01", VLAN: &plan.VLAN{ID: 10, QoS: 1, Protocol: "802.1Q"},
					SpoofCheck: ptrTo(true), Trust: ptrTo(true), MinTxRateMbps: ptrTo(10), MaxTxRateMbps: ptrTo(20), LinkState: "auto"},
			}},
		},
	}
}

func openTemp(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state", "checkpoint.json")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s, path
}

func reopen(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("reopening %s: %v", path, err)
	}
	return s
}

// slotBytes returns both slot files' content, to tell whether anything was written.
func slotBytes(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for slot := range 2 {
		data, err := os.ReadFile(slotPath(path, slot))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, data...)
	}
	return all
}

func TestOpen_MissingFileIsEmptyAndParentDirIsCreated(t *testing.T) {
	s, path := openTemp(t)
	if got := s.List(); len(got) != 0 {
		t.Errorf("List() on a new store = %v, want empty", got)
	}
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		t.Errorf("parent directory not created: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open created the checkpoint file without any Put (stat err %v)", err)
	}
}

func TestStore_RoundTripThroughFile(t *testing.T) {
	s, path := openTemp(t)
	want := []plan.Claim{testClaim("a", "pod-1"), testClaim("b", "pod-2")}
	noAttachment := testClaim("c", "pod-1")
	noAttachment.Attachment = nil
	want = append(want, noAttachment)
	if err := s.Put(want...); err != nil {
		t.Fatalf("Put: %v", err)
	}

	got := reopen(t, path).List()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims after reopen (-want +got):\n%s", diff)
	}
}

func TestStore_GetByPodListAfterPut(t *testing.T) {
	s, _ := openTemp(t)
	claims := []plan.Claim{testClaim("c", "pod-1"), testClaim("a", "pod-1"), testClaim("b", "pod-2")}
	if err := s.Put(claims...); err != nil {
		t.Fatal(err)
	}

	got, ok := s.Get("b")
	if !ok {
		t.Fatal(`Get("b") not found`)
	}
	if diff := cmp.Diff(claims[2], got); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	if _, ok := s.Get("missing"); ok {
		t.Error(`Get("missing") found a claim`)
	}
	if diff := cmp.Diff([]plan.Claim{claims[1], claims[0]}, s.ByPod("pod-1")); diff != "" {
		t.Errorf("ByPod(pod-1), sorted by claim UID (-want +got):\n%s", diff)
	}
	if got := s.ByPod("pod-none"); len(got) != 0 {
		t.Errorf("ByPod of an unknown pod = %v, want none", got)
	}
	var uids []string
	for _, c := range s.List() {
		uids = append(uids, c.UID)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, uids); diff != "" {
		t.Errorf("List order (-want +got):\n%s", diff)
	}
}

func TestStore_CallersCannotMutateStoredClaims(t *testing.T) {
	s, _ := openTemp(t)
	in := testClaim("a", "pod-1")
	if err := s.Put(in); err != nil {
		t.Fatal(err)
	}
	want := testClaim("a", "pod-1")

	// Mutate what was put, and everything handed out.
	in.Devices[0].Addresses[0] = "mutated"
	in.Attachment.Originals[0].Name = "mutated"
	got, _ := s.Get("a")
	got.Devices[0].Routes[0].Gateway = "mutated"
	got.CDIDeviceIDs[0] = "mutated"
	got.Attachment.SandboxID = "mutated"
	s.List()[0].Devices[0].Host.Name = "mutated"
	s.ByPod("pod-1")[0].Attachment.Originals[0].MTU = 1

	again, _ := s.Get("a")
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("stored claim changed through a caller's copy (-want +got):\n%s", diff)
	}
}

func TestPut_RejectsClaimWithoutUID(t *testing.T) {
	s, path := openTemp(t)
	err := s.Put(testClaim("a", "p"), plan.Claim{Namespace: "ns", Name: "nouid"})
	if err == nil || !strings.Contains(err.Error(), "ns/nouid") {
		t.Fatalf("Put of a claim without UID: err = %v, want an error naming ns/nouid", err)
	}
	if _, ok := s.Get("a"); ok {
		t.Error("the valid claim of a rejected batch was stored")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a rejected Put wrote the file (stat err %v)", err)
	}
}

func TestPut_FailedWriteLeavesStoreUnchanged(t *testing.T) {
	s, path := openTemp(t)
	if err := s.Put(testClaim("a", "p")); err != nil {
		t.Fatal(err)
	}
	// Without its directory the temp file cannot be created, so the write fails.
	if err := os.RemoveAll(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(testClaim("b", "p")); err == nil {
		t.Fatal("Put succeeded with the checkpoint directory gone")
	}
	if _, ok := s.Get("b"); ok {
		t.Error("a claim whose write failed is visible in the store")
	}
	if _, ok := s.Get("a"); !ok {
		t.Error("the earlier claim vanished after a failed write")
	}
}

func TestUpdate(t *testing.T) {
	t.Run("persists the change", func(t *testing.T) {
		s, path := openTemp(t)
		c := testClaim("a", "p")
		c.Attachment = nil
		if err := s.Put(c); err != nil {
			t.Fatal(err)
		}
		att := &plan.Attachment{SandboxID: "sb", NetnsPath: "/run/netns/x", Originals: []plan.Original{{Name: "eth9"}}}
		err := s.Update("a", func(c *plan.Claim) error {
			c.Attachment = att
			return nil
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		got, _ := reopen(t, path).Get("a")
		if diff := cmp.Diff(att, got.Attachment); diff != "" {
			t.Errorf("attachment after reopen (-want +got):\n%s", diff)
		}
	})
	t.Run("a failing fn changes nothing", func(t *testing.T) {
		s, path := openTemp(t)
		if err := s.Put(testClaim("a", "p")); err != nil {
			t.Fatal(err)
		}
		before := slotBytes(t, path)
		boom := errors.New("boom")
		err := s.Update("a", func(c *plan.Claim) error {
			c.Attachment = nil // mutation of the copy must not leak
			c.Devices[0].Addresses[0] = "mutated"
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update err = %v, want it to wrap fn's error", err)
		}
		got, _ := s.Get("a")
		if diff := cmp.Diff(testClaim("a", "p"), got); diff != "" {
			t.Errorf("claim changed by a failed update (-want +got):\n%s", diff)
		}
		if !bytes.Equal(before, slotBytes(t, path)) {
			t.Error("a failed update rewrote the checkpoint")
		}
	})
	t.Run("unknown claim", func(t *testing.T) {
		s, _ := openTemp(t)
		err := s.Update("nope", func(*plan.Claim) error { t.Error("fn called for an unknown claim"); return nil })
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Update of unknown claim: err = %v, want ErrNotFound", err)
		}
	})
	t.Run("UID change refused", func(t *testing.T) {
		s, _ := openTemp(t)
		if err := s.Put(testClaim("a", "p")); err != nil {
			t.Fatal(err)
		}
		err := s.Update("a", func(c *plan.Claim) error { c.UID = "b"; return nil })
		if err == nil {
			t.Fatal("Update allowed changing the UID")
		}
		if _, ok := s.Get("b"); ok {
			t.Error("claim stored under the new UID")
		}
	})
}

func TestDelete(t *testing.T) {
	s, path := openTemp(t)
	if err := s.Put(testClaim("a", "p"), testClaim("b", "p"), testClaim("c", "q")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("a", "c", "unknown"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	var uids []string
	for _, c := range reopen(t, path).List() {
		uids = append(uids, c.UID)
	}
	if diff := cmp.Diff([]string{"b"}, uids); diff != "" {
		t.Errorf("claims after Delete and reopen (-want +got):\n%s", diff)
	}

	// Deleting nothing does not rewrite the checkpoint: it would cost an fdatasync per
	// retried unprepare. A write bumps the generation, so the bytes would differ.
	before := slotBytes(t, path)
	if err := s.Delete("a", "unknown"); err != nil {
		t.Fatalf("Delete of unknown claims: %v", err)
	}
	if !bytes.Equal(before, slotBytes(t, path)) {
		t.Error("Delete of unknown claims rewrote the checkpoint")
	}
}

func TestOpen_RejectsCorruptFile(t *testing.T) {
	valid := func(t *testing.T) []byte {
		data, err := encode(map[string]plan.Claim{"a": testClaim("a", "p"), "b": testClaim("b", "p")}, 1)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	// withPayload builds a file whose checksum is right for payload, for corruption that
	// the checksum cannot catch.
	withPayload := func(t *testing.T, payload string) []byte {
		sum, err := checksum([]byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(file{Version: Version, Checksum: sum, Claims: json.RawMessage(payload)})
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	tests := []struct {
		name    string
		content func(t *testing.T) []byte
		reason  string
	}{
		{"empty file", func(*testing.T) []byte { return nil }, "not valid JSON"},
		{"truncated", func(t *testing.T) []byte { d := valid(t); return d[:len(d)/2] }, "not valid JSON"},
		{"flipped byte in payload", func(t *testing.T) []byte {
			d := valid(t)
			i := bytes.Index(d, []byte("192.0.2.10"))
			d[i] = '9'
			return d
		}, "checksum mismatch"},
		{"wrong version", func(t *testing.T) []byte {
			return bytes.Replace(valid(t), []byte(`"version":"`+Version+`"`), []byte(`"version":"v999"`), 1)
		}, `version "v999" is not supported`},
		{"missing version", func(t *testing.T) []byte {
			return bytes.Replace(valid(t), []byte(`"version":"`+Version+`",`), nil, 1)
		}, `version "" is not supported`},
		{"no claims", func(*testing.T) []byte { return []byte(`{"version":"` + Version + `","checksum":"x"}`) }, "no claims"},
		{"claims not a list", func(t *testing.T) []byte { return withPayload(t, `{"a":1}`) }, "claims payload"},
		{"claim without uid", func(t *testing.T) []byte { return withPayload(t, `[{"name":"x"}]`) }, "has no uid"},
		{"duplicate uid", func(t *testing.T) []byte { return withPayload(t, `[{"uid":"a"},{"uid":"a"}]`) }, "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "checkpoint.json")
			if err := os.WriteFile(path, tt.content(t), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open = (%v, %v), want an error wrapping ErrCorrupt", s, err)
			}
			for _, want := range []string{path, tt.reason} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestOpen_AcceptsReformattedFile(t *testing.T) {
	s, path := openTemp(t)
	want := []plan.Claim{testClaim("a", "p")}
	if err := s.Put(want...); err != nil {
		t.Fatal(err)
	}
	for slot := range 2 {
		data, err := os.ReadFile(slotPath(path, slot))
		if err != nil {
			t.Fatal(err)
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, data, "", "    "); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(slotPath(path, slot), pretty.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(want, reopen(t, path).List()); diff != "" {
		t.Errorf("claims from a pretty-printed file (-want +got):\n%s", diff)
	}
}

func TestWrites_LeaveNoTempFiles(t *testing.T) {
	s, path := openTemp(t)
	for i := range 20 {
		uid := fmt.Sprint("c", i)
		if err := s.Put(testClaim(uid, "p")); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(uid, func(c *plan.Claim) error { c.Attachment = nil; return nil }); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := s.Delete(uid); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{filepath.Base(path) + ".a", filepath.Base(path) + ".b"}, names); diff != "" {
		t.Errorf("directory entries after writes (-want +got):\n%s", diff)
	}
}

func TestOpen_RemovesStaleTempFilesOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "checkpoint.json")
	stale := filepath.Join(dir, ".checkpoint.json.tmp-12345")
	other := filepath.Join(dir, "unrelated.json")
	for _, f := range []string{stale, other} {
		if err := os.WriteFile(f, []byte("half a write"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(path); err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file left behind (stat err %v)", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("an unrelated file was removed: %v", err)
	}
}

// TestStore_ConcurrentWriters runs writers on disjoint claims plus readers; under -race it
// catches unsynchronised access, and the reopened file must hold exactly the final state.
func TestStore_ConcurrentWriters(t *testing.T) {
	s, path := openTemp(t)
	const workers, rounds = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				keep := fmt.Sprintf("w%d-keep-%d", w, r)
				drop := fmt.Sprintf("w%d-drop-%d", w, r)
				pod := fmt.Sprintf("pod-%d", w)
				if err := s.Put(testClaim(keep, pod), testClaim(drop, pod)); err != nil {
					errs <- err
				}
				err := s.Update(keep, func(c *plan.Claim) error {
					c.Attachment.SandboxID = "updated"
					return nil
				})
				if err != nil {
					errs <- err
				}
				if err := s.Delete(drop); err != nil {
					errs <- err
				}
				_ = s.ByPod(pod)
				_ = s.List()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	var want []plan.Claim
	for w := range workers {
		for r := range rounds {
			c := testClaim(fmt.Sprintf("w%d-keep-%d", w, r), fmt.Sprintf("pod-%d", w))
			c.Attachment.SandboxID = "updated"
			want = append(want, c)
		}
	}
	got := reopen(t, path).List()
	if diff := cmp.Diff(len(want), len(got)); diff != "" {
		t.Fatalf("claim count after concurrent writes (-want +got):\n%s", diff)
	}
	byUID := map[string]plan.Claim{}
	for _, c := range got {
		byUID[c.UID] = c
	}
	for _, c := range want {
		if diff := cmp.Diff(c, byUID[c.UID]); diff != "" {
			t.Errorf("claim %s (-want +got):\n%s", c.UID, diff)
		}
	}
}

func benchmarkPut(b *testing.B, n int) {
	s, _ := openTemp(b)
	claims := make([]plan.Claim, n)
	for i := range claims {
		claims[i] = testClaim(fmt.Sprint("claim-", i), fmt.Sprint("pod-", i))
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Put(claims...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPut_1Claim and BenchmarkPut_100Claims include the fsyncs of the temp file and
// the directory: that is the cost every prepare pays once per call.
func BenchmarkPut_1Claim(b *testing.B)    { benchmarkPut(b, 1) }
func BenchmarkPut_100Claims(b *testing.B) { benchmarkPut(b, 100) }

func ptrTo[T any](v T) *T { return &v }
