// Package checkpoint persists the plans prepare made and the original device state attach
// snapshotted, so that a restarted plugin still knows which devices sit in which pod and
// how to put them back.
//
// The whole state is one JSON document rewritten on every change: the number of claims on a
// node is small (one per pod interface), and one document can be written atomically, which
// a directory of files cannot. It alternates between two slot files (see slots.go).
package checkpoint

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/netclaim/netclaim/pkg/plan"
)

// ErrNotFound is returned by Update for a claim the store does not hold.
var ErrNotFound = errors.New("claim not in checkpoint")

// Store is the set of prepared claims, keyed by claim UID, backed by one file.
// It is safe for concurrent use: prepare (pkg/driver) and attach (pkg/nri) share it.
// Values go in and come out as deep copies, so callers may mutate what they hold.
type Store struct {
	path string

	mu sync.Mutex
	// generation is that of the state in claims; nextSlot is the slot file the next write
	// goes to, the one not holding it.
	generation uint64
	nextSlot   int
	// claims is replaced, never mutated in place, and only after the file holding the new
	// state is durable: a failed write leaves memory and disk agreeing on the old state.
	claims map[string]plan.Claim
}

// Open loads the checkpoint at path (the slot files path.a and path.b). Nothing there is an
// empty store; the parent directory is created if needed, and a single-file checkpoint at
// path written by an earlier version is taken over. A checkpoint that exists but cannot be
// trusted (bad JSON, checksum mismatch, unknown version, in both slots) yields an error
// wrapping ErrCorrupt, see there for why.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating checkpoint directory: %w", err)
	}
	if err := removeStaleTempFiles(path); err != nil {
		return nil, err
	}
	claims, gen, slot, fresh, err := loadSlots(path)
	if err != nil {
		return nil, err
	}
	if fresh {
		if err := initSlots(path, claims); err != nil {
			return nil, err
		}
	}
	return &Store{path: path, claims: claims, generation: gen, nextSlot: 1 - slot}, nil
}

// Inspect returns the claims of the checkpoint at path, sorted by UID, without changing
// anything there: for tools and tests that look at a running plugin's state.
func Inspect(path string) ([]plan.Claim, error) {
	claims, _, _, _, err := loadSlots(path)
	if err != nil {
		return nil, err
	}
	out := make([]plan.Claim, 0, len(claims))
	for _, uid := range slices.Sorted(maps.Keys(claims)) {
		out = append(out, claims[uid])
	}
	return out, nil
}

// Path is the checkpoint's path as given to Open; the data lives in Path()+".a" and ".b".
func (s *Store) Path() string { return s.path }

// Get returns the claim with the given UID.
func (s *Store) Get(claimUID string) (plan.Claim, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.claims[claimUID]
	if !ok {
		return plan.Claim{}, false
	}
	return cloneClaim(c), true
}

// ByPod returns the claims reserved for the pod, sorted by claim UID.
func (s *Store) ByPod(podUID string) []plan.Claim {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []plan.Claim
	for _, uid := range slices.Sorted(maps.Keys(s.claims)) {
		if c := s.claims[uid]; c.PodUID == podUID {
			out = append(out, cloneClaim(c))
		}
	}
	return out
}

// List returns all claims, sorted by claim UID.
func (s *Store) List() []plan.Claim {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]plan.Claim, 0, len(s.claims))
	for _, uid := range slices.Sorted(maps.Keys(s.claims)) {
		out = append(out, cloneClaim(s.claims[uid]))
	}
	return out
}

// DevicesInUse names the devices the claims hold, by published device name: what the
// node's inventory keeps described while their netdevs sit in pods (inventory.View).
func (s *Store) DevicesInUse() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	inUse := map[string]bool{}
	for _, c := range s.claims {
		for _, d := range c.Devices {
			inUse[d.Device] = true
		}
	}
	return inUse
}

// Put adds or replaces claims with one durable write for the whole batch.
func (s *Store) Put(claims ...plan.Claim) error {
	for _, c := range claims {
		if c.UID == "" {
			return fmt.Errorf("checkpoint put: claim %s/%s has no UID", c.Namespace, c.Name)
		}
	}
	if len(claims) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := maps.Clone(s.claims)
	for _, c := range claims {
		next[c.UID] = cloneClaim(c)
	}
	return s.commit(next)
}

// Update applies fn to a copy of the claim and persists the result with one durable write.
// If fn fails nothing changes. fn must not change the claim's UID.
func (s *Store) Update(claimUID string, fn func(*plan.Claim) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.claims[claimUID]
	if !ok {
		return fmt.Errorf("checkpoint update of claim %s: %w", claimUID, ErrNotFound)
	}
	c := cloneClaim(cur)
	if err := fn(&c); err != nil {
		return fmt.Errorf("checkpoint update of claim %s: %w", claimUID, err)
	}
	if c.UID != claimUID {
		return fmt.Errorf("checkpoint update of claim %s: the update changed the UID to %q", claimUID, c.UID)
	}
	next := maps.Clone(s.claims)
	next[claimUID] = cloneClaim(c)
	return s.commit(next)
}

// Delete forgets claims with one durable write. Unknown UIDs are ignored, and a call that
// removes nothing does not write.
func (s *Store) Delete(claimUIDs ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := maps.Clone(s.claims)
	for _, uid := range claimUIDs {
		delete(next, uid)
	}
	if len(next) == len(s.claims) {
		return nil
	}
	return s.commit(next)
}

// commit writes next to disk and only then makes it the in-memory state. Callers hold mu.
func (s *Store) commit(next map[string]plan.Claim) error {
	data, err := encode(next, s.generation+1)
	if err != nil {
		return err
	}
	if err := writeSlot(slotPath(s.path, s.nextSlot), data); err != nil {
		return fmt.Errorf("writing checkpoint: %w", err)
	}
	s.claims = next
	s.generation++
	s.nextSlot = 1 - s.nextSlot
	return nil
}
