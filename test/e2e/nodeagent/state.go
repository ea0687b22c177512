package nodeagent

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// stateFileName is the agent's record of what it did on the node, in --state-dir.
const stateFileName = "pods.json"

// stateVersion guards against reading a file an incompatible agent wrote.
const stateVersion = 1

// sandboxPhase is where a pod sandbox stands, as containerd tracks it.
type sandboxPhase string

const (
	// sandboxCreating is recorded before the netns exists and before RunPodSandbox, so an
	// agent that dies half-way knows there is something to clean up.
	sandboxCreating sandboxPhase = "creating"
	// sandboxReady: NRI RunPodSandbox succeeded (containerd's SANDBOX_READY).
	sandboxReady sandboxPhase = "ready"
	// sandboxStopped: StopPodSandbox ran and the netns is gone; RemovePodSandbox is due.
	sandboxStopped sandboxPhase = "stopped"
)

// claimRef identifies a claim the way NodePrepareResources/NodeUnprepareResources do.
type claimRef struct {
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	UID       types.UID `json:"uid"`
}

// sandboxRecord is one pod sandbox. The NRI plugin learns about sandboxes only from
// events and from the sandbox list sent when it (re)connects, so the list must survive
// an agent restart or the plugin would think every attached pod vanished.
type sandboxRecord struct {
	ID string `json:"id"`
	// HostNetwork pods share the node's namespace; NetnsPath is empty for them.
	HostNetwork bool              `json:"hostNetwork,omitempty"`
	NetnsPath   string            `json:"netnsPath,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Phase       sandboxPhase      `json:"phase"`
	// ReadyAt and RunDuration are kept so a retried status report still carries the
	// measurement of the attempt that succeeded.
	ReadyAt     time.Time     `json:"readyAt,omitzero"`
	RunDuration time.Duration `json:"runDuration,omitempty"`
}

// podRecord is everything the agent did for one pod that it must undo later.
type podRecord struct {
	UID       types.UID `json:"uid"`
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	// PreparedClaims were prepared with the driver and need NodeUnprepareResources.
	PreparedClaims []claimRef     `json:"preparedClaims,omitempty"`
	Sandbox        *sandboxRecord `json:"sandbox,omitempty"`
}

func (r podRecord) ref() string { return r.Namespace + "/" + r.Name }

type stateFile struct {
	Version int                     `json:"version"`
	Pods    map[types.UID]podRecord `json:"pods"`
}

// stateStore keeps the pod records in memory and writes every change through to one
// JSON file. Records are values: callers get copies and put back whole records.
type stateStore struct {
	path string

	mu   sync.Mutex
	pods map[types.UID]podRecord
}

// openState loads the state file in dir, or starts empty when there is none yet.
func openState(dir string) (*stateStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	s := &stateStore{path: filepath.Join(dir, stateFileName), pods: map[types.UID]podRecord{}}
	data, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading agent state: %w", err)
	}
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("decoding agent state %s: %w (delete it only after cleaning up the pods it lists)", s.path, err)
	}
	if f.Version != stateVersion {
		return nil, fmt.Errorf("agent state %s has version %d, this agent reads version %d", s.path, f.Version, stateVersion)
	}
	if f.Pods != nil {
		s.pods = f.Pods
	}
	return s, nil
}

func (s *stateStore) get(uid types.UID) (podRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.pods[uid]
	return r, ok
}

// put stores rec and writes the file; the in-memory copy changes only if the write did,
// so memory never claims more than a restarted agent would know.
func (s *stateStore) put(rec podRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := maps.Clone(s.pods)
	next[rec.UID] = rec
	if err := s.write(next); err != nil {
		return fmt.Errorf("recording pod %s: %w", rec.ref(), err)
	}
	s.pods = next
	return nil
}

func (s *stateStore) remove(uid types.UID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pods[uid]; !ok {
		return nil
	}
	next := maps.Clone(s.pods)
	delete(next, uid)
	if err := s.write(next); err != nil {
		return fmt.Errorf("forgetting pod %s: %w", uid, err)
	}
	s.pods = next
	return nil
}

// list returns all records ordered by UID (stable for logs and tests).
func (s *stateStore) list() []podRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	uids := slices.Sorted(maps.Keys(s.pods))
	out := make([]podRecord, 0, len(uids))
	for _, uid := range uids {
		out = append(out, s.pods[uid])
	}
	return out
}

// write replaces the file through a rename, so an agent killed mid-write leaves the old
// or the new state, never half of each. No fsync: the agent guards against its own
// crashes, not against power loss of a test machine.
func (s *stateStore) write(pods map[types.UID]podRecord) error {
	data, err := json.MarshalIndent(stateFile{Version: stateVersion, Pods: pods}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), "."+stateFileName+".tmp-*")
	if err != nil {
		return err
	}
	_, writeErr := tmp.Write(data)
	if err := errors.Join(writeErr, tmp.Close()); err != nil {
		return errors.Join(err, os.Remove(tmp.Name()))
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return errors.Join(err, os.Remove(tmp.Name()))
	}
	return nil
}
