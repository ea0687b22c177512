package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/netclaim/netclaim/pkg/plan"
)

// Version is the version of the file's payload. The payload is a list of plan.Claim, so it
// follows plan.Version: a plan change that old code cannot read bumps both.
const Version = plan.Version

// ErrCorrupt means the checkpoint file exists but cannot be trusted: it is not valid JSON,
// its checksum does not match its payload, or it has a version this build does not know.
//
// Open refuses to start on it rather than starting empty. The file records which host
// devices were moved into which pods and what they looked like before; forgetting that
// would strand those devices in pod network namespaces (or leave them renamed and
// reconfigured on the host) with nothing left that knows how to restore them. An operator
// can inspect the file, restore devices by hand and then remove it; the plugin cannot.
var ErrCorrupt = errors.New("checkpoint is corrupt")

// file is the on-disk envelope. Claims stays raw so that the checksum is computed over
// the payload bytes that were actually stored.
type file struct {
	Version string `json:"version"`
	// Generation counts writes; of the two slot files the higher generation is current.
	Generation uint64          `json:"generation"`
	Checksum   string          `json:"checksum"`
	Claims     json.RawMessage `json:"claims"`
}

const checksumPrefix = "sha256:"

// checksum is computed over the compact form of the payload, so reformatting the file
// (an operator pretty-printing it with jq) does not by itself make it corrupt.
func checksum(payload []byte) (string, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, payload); err != nil {
		return "", err
	}
	sum := sha256.Sum256(compact.Bytes())
	return checksumPrefix + hex.EncodeToString(sum[:]), nil
}

// encode renders claims as the file's bytes, sorted by UID so that equal states give
// byte-identical files.
func encode(claims map[string]plan.Claim, generation uint64) ([]byte, error) {
	list := make([]plan.Claim, 0, len(claims))
	for _, uid := range slices.Sorted(maps.Keys(claims)) {
		list = append(list, claims[uid])
	}
	payload, err := json.Marshal(list)
	if err != nil {
		return nil, fmt.Errorf("encoding checkpoint: %w", err)
	}
	sum, err := checksum(payload)
	if err != nil {
		return nil, fmt.Errorf("encoding checkpoint: %w", err)
	}
	data, err := json.Marshal(file{Version: Version, Generation: generation, Checksum: sum, Claims: payload})
	if err != nil {
		return nil, fmt.Errorf("encoding checkpoint: %w", err)
	}
	return append(data, '\n'), nil
}

// decode parses and verifies the file's bytes. Every failure wraps ErrCorrupt.
func decode(path string, data []byte) (map[string]plan.Claim, uint64, error) {
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s; the plugin will not start without knowing which devices "+
			"are attached to pods: restore them by hand, then move the file away",
			ErrCorrupt, path, fmt.Sprintf(format, args...))
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, 0, corrupt("not valid JSON: %v", err)
	}
	if f.Version != Version {
		return nil, 0, corrupt("version %q is not supported by this build (want %q)", f.Version, Version)
	}
	if len(f.Claims) == 0 {
		return nil, 0, corrupt("no claims field")
	}
	sum, err := checksum(f.Claims)
	if err != nil {
		return nil, 0, corrupt("claims payload: %v", err)
	}
	if sum != f.Checksum {
		return nil, 0, corrupt("checksum mismatch: file says %q, payload hashes to %q", f.Checksum, sum)
	}
	var list []plan.Claim
	if err := json.Unmarshal(f.Claims, &list); err != nil {
		return nil, 0, corrupt("claims payload: %v", err)
	}
	claims := make(map[string]plan.Claim, len(list))
	for i, c := range list {
		if c.UID == "" {
			return nil, 0, corrupt("claims[%d] (%s/%s) has no uid", i, c.Namespace, c.Name)
		}
		if _, dup := claims[c.UID]; dup {
			return nil, 0, corrupt("claims[%d]: uid %s appears twice", i, c.UID)
		}
		claims[c.UID] = c
	}
	return claims, f.Generation, nil
}
