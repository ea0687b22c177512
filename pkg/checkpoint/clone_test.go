package checkpoint

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// zeroFields lists the paths of zero-valued fields under v (following pointers and the
// elements of slices), to prove a fixture exercises every field.
func zeroFields(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return []string{path}
		}
		return zeroFields(v.Elem(), path)
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			out = append(out, zeroFields(v.Field(i), path+"."+v.Type().Field(i).Name)...)
		}
		return out
	case reflect.Slice:
		if v.Len() == 0 {
			return []string{path}
		}
		var out []string
		for i := range v.Len() {
			out = append(out, zeroFields(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	default:
		if v.IsZero() {
			return []string{path}
		}
		return nil
	}
}

// sharedMemory lists the paths where a and b point at the same pointer or slice array.
func sharedMemory(a, b reflect.Value, path string) []string {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return nil
		}
		if a.Pointer() == b.Pointer() {
			return []string{path}
		}
		return sharedMemory(a.Elem(), b.Elem(), path)
	case reflect.Struct:
		var out []string
		for i := range a.NumField() {
			out = append(out, sharedMemory(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)...)
		}
		return out
	case reflect.Slice:
		if a.Len() > 0 && b.Len() > 0 && a.Pointer() == b.Pointer() {
			return []string{path}
		}
		var out []string
		for i := range min(a.Len(), b.Len()) {
			out = append(out, sharedMemory(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	default:
		return nil
	}
}

func TestCloneClaim_CopiesEveryField(t *testing.T) {
	orig := testClaim("a", "p")
	if zero := zeroFields(reflect.ValueOf(orig), "Claim"); len(zero) > 0 {
		t.Fatalf("testClaim leaves fields unset, extend it (and cloneClaim if they hold memory): %v", zero)
	}
	cp := cloneClaim(orig)
	if diff := cmp.Diff(orig, cp); diff != "" {
		t.Errorf("clone differs (-orig +clone):\n%s", diff)
	}
	if shared := sharedMemory(reflect.ValueOf(orig), reflect.ValueOf(cp), "Claim"); len(shared) > 0 {
		t.Errorf("clone shares memory with the original at %v", shared)
	}
}
