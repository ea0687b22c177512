package nodeagent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStateStore_RoundTripsThroughTheFile(t *testing.T) {
	dir := t.TempDir()
	s, err := openState(dir)
	if err != nil {
		t.Fatal(err)
	}
	running := podRecord{
		UID: "uid-a", Namespace: testNamespace, Name: "a",
		PreparedClaims: []claimRef{{Namespace: testNamespace, Name: "nic", UID: "uid-nic"}},
		Sandbox: &sandboxRecord{
			ID: "0123abcd", NetnsPath: "/var/run/netns/nc-pod-uid-a", Phase: sandboxReady,
			Labels: map[string]string{"app": "a"}, Annotations: map[string]string{"k": "v"},
			ReadyAt: time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC), RunDuration: 17 * time.Millisecond,
		},
	}
	preparing := podRecord{UID: "uid-b", Namespace: testNamespace, Name: "b",
		PreparedClaims: []claimRef{{Namespace: testNamespace, Name: "vf", UID: "uid-vf"}}}
	gone := podRecord{UID: "uid-c", Namespace: testNamespace, Name: "c"}
	for _, r := range []podRecord{running, preparing, gone} {
		if err := s.put(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.remove(gone.UID); err != nil {
		t.Fatal(err)
	}

	reopened, err := openState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]podRecord{running, preparing}, reopened.list()); diff != "" {
		t.Errorf("records after reopening (-want +got):\n%s", diff)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{stateFileName}, names); diff != "" {
		t.Errorf("files in the state directory, temporary files must not be left (-want +got):\n%s", diff)
	}
}

func TestStateStore_StartsEmptyWithoutAFile(t *testing.T) {
	s, err := openState(filepath.Join(t.TempDir(), "new"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.list(); len(got) != 0 {
		t.Errorf("records = %v, want none", got)
	}
}

func TestOpenState_RefusesUnreadableFiles(t *testing.T) {
	tests := []struct {
		name    string
		content string
		wantMsg string
	}{
		{name: "corrupt JSON", content: `{"version":1,"pods":`, wantMsg: "decoding agent state"},
		{name: "other version", content: `{"version":2,"pods":{}}`, wantMsg: "has version 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, stateFileName), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := openState(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantMsg)
			}
		})
	}
}

func TestStateStore_FailedWriteKeepsMemoryUnchanged(t *testing.T) {
	dir := t.TempDir()
	s, err := openState(dir)
	if err != nil {
		t.Fatal(err)
	}
	kept := podRecord{UID: "uid-a", Namespace: testNamespace, Name: "a"}
	if err := s.put(kept); err != nil {
		t.Fatal(err)
	}
	// Root ignores directory permissions; a missing directory makes the write fail.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := s.put(podRecord{UID: "uid-b", Namespace: testNamespace, Name: "b"}); err == nil {
		t.Fatal("put succeeded without a state directory")
	}
	if diff := cmp.Diff([]podRecord{kept}, s.list()); diff != "" {
		t.Errorf("records after a failed write (-want +got):\n%s", diff)
	}
}
