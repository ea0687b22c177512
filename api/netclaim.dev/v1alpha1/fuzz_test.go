package v1alpha1

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzDecodeValidate feeds arbitrary bytes through everything a driver does with an
// opaque parameter: Decode, Validate (with and without a parent MTU, as a layer and
// merged), UnsupportedFields and Merge. Nothing may panic; a decoded config must survive a
// JSON round trip unchanged, and merging it with itself must give it back.
func FuzzDecodeValidate(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.input))
	}
	for _, tc := range append(append([]validateCase(nil), validateRejects...), validateAccepts...) {
		f.Add([]byte(header + tc.body))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Decode(data)
		if err != nil {
			return
		}
		for _, vc := range []ValidationContext{{}, {ParentMTU: 1500}, {Partial: true}, {WithoutClass: true}, {OnVFIO: true}} {
			for _, e := range cfg.Validate(vc) {
				if e.Field == "" || e.ErrorBody() == "" {
					t.Errorf("error without a field or message: %#v", e)
				}
			}
		}
		_ = cfg.UnsupportedFields()

		if merged := Merge(cfg, cfg); !cmp.Equal(cfg, merged) {
			t.Errorf("Merge(cfg, cfg) differs from cfg:\n%s", cmp.Diff(cfg, merged))
		}

		encoded, err := json.Marshal(cfg)
		if err != nil {
			t.Fatalf("marshal a decoded config: %v", err)
		}
		again, err := Decode(encoded)
		if err != nil {
			t.Fatalf("decode %s (re-encoded from %q): %v", encoded, data, err)
		}
		if diff := cmp.Diff(cfg, again, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("JSON round trip changed the config (-first +again):\n%s", diff)
		}
	})
}
