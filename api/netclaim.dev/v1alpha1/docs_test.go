package v1alpha1

import (
	"bufio"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const configDoc = "../../../docs/config.md"

// docFieldRow matches a row of a field table in docs/config.md: | `path` | type | ... |
var docFieldRow = regexp.MustCompile("^\\|\\s*`([^`]+)`\\s*\\|(.*)\\|\\s*$")

// docFields reads docs/config.md and returns each documented field path with the cells
// of its row after the path.
func docFields(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open(configDoc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fields := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := docFieldRow.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if _, dup := fields[m[1]]; dup {
			t.Errorf("%s documents %s twice", configDoc, m[1])
		}
		cells := strings.Split(m[2], "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		fields[m[1]] = cells
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return fields
}

// jsonFieldPaths lists every JSON field path of t, reading the struct tags: containers
// (interface, routes) and their fields (interface.name, routes[].gateway). Embedded
// structs without a JSON name (TypeMeta) are flattened, as encoding/json does.
func jsonFieldPaths(t reflect.Type, prefix string) []string {
	var paths []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			paths = append(paths, jsonFieldPaths(ft, prefix)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		path := prefix + name
		paths = append(paths, path)
		switch {
		case ft.Kind() == reflect.Struct:
			paths = append(paths, jsonFieldPaths(ft, path+".")...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			paths = append(paths, jsonFieldPaths(ft.Elem(), path+"[].")...)
		}
	}
	return paths
}

func TestConfigDoc_DocumentsExactlyTheFieldsOfTheGoTypes(t *testing.T) {
	code := jsonFieldPaths(reflect.TypeFor[NetworkConfig](), "")
	slices.Sort(code)
	var doc []string
	for path := range docFields(t) {
		doc = append(doc, path)
	}
	slices.Sort(doc)
	if diff := cmp.Diff(code, doc); diff != "" {
		t.Errorf("field paths (-Go types +%s):\n%s", configDoc, diff)
	}
}

func TestConfigDoc_ImplementedColumnMatchesUnsupportedFields(t *testing.T) {
	everything := decodeBody(t, trimHeader(mustRead("testdata/full.yaml")))
	everything.Interface.Mode = ModeMacvlan
	unsupported := everything.UnsupportedFields()
	isUnsupported := func(path string) bool {
		for _, u := range unsupported {
			if path == u || strings.HasPrefix(path, u+".") || strings.HasPrefix(path, u+"[]") {
				return true
			}
		}
		return false
	}
	for path, cells := range docFields(t) {
		implemented := cells[len(cells)-1]
		if got, want := strings.HasPrefix(implemented, "yes"), !isUnsupported(path); got != want {
			t.Errorf("%s: %s says Implemented %q, but UnsupportedFields says implemented=%v", path, configDoc, implemented, want)
		}
	}
}

// TestConfigDoc_FullExampleIsTestdataFull keeps the reference's example of every field and
// the fixture the decoding, merging and validation tests use the same.
func TestConfigDoc_FullExampleIsTestdataFull(t *testing.T) {
	doc := mustRead(configDoc)
	_, after, ok := strings.Cut(doc, "## Full example")
	if !ok {
		t.Fatalf("%s has no Full example section", configDoc)
	}
	_, block, ok := strings.Cut(after, "```yaml\n")
	if !ok {
		t.Fatalf("%s: Full example has no yaml block", configDoc)
	}
	block, _, _ = strings.Cut(block, "```")
	if diff := cmp.Diff(mustRead("testdata/full.yaml"), block); diff != "" {
		t.Errorf("Full example (-testdata/full.yaml +%s):\n%s", configDoc, diff)
	}
	// It sets every field: each object's fields, and each list as a whole.
	var want []string
	all := jsonFieldPaths(reflect.TypeFor[NetworkConfig](), "")
	for _, p := range all {
		isObject := slices.ContainsFunc(all, func(q string) bool { return strings.HasPrefix(q, p+".") })
		if !isObject && !strings.Contains(p, "[]") && p != "apiVersion" && p != "kind" {
			want = append(want, p)
		}
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, decodeBody(t, trimHeader(block)).setFields()); diff != "" {
		t.Errorf("fields the Full example sets (-every field +set):\n%s", diff)
	}
}
