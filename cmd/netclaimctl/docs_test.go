package main

import (
	"bufio"
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docExample is a ```yaml block of a document and what the document says of it.
type docExample struct {
	where string // file:line of the fence
	yaml  string
	// refused lists the messages a preceding `<!-- validate: refused with "..." -->`
	// comment promises; none means the example must pass.
	refused []string
}

var (
	refusedMarker = regexp.MustCompile(`^<!-- validate: refused with (.*) -->$`)
	quoted        = regexp.MustCompile(`"([^"]*)"`)
)

// docExamples reads the ```yaml blocks of a Markdown file.
func docExamples(t *testing.T, path string) []docExample {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out      []docExample
		cur      *docExample
		previous string
		n        int
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case cur == nil && line == "```yaml":
			cur = &docExample{where: path + ":" + strconv.Itoa(n)}
			if m := refusedMarker.FindStringSubmatch(previous); m != nil {
				for _, q := range quoted.FindAllStringSubmatch(m[1], -1) {
					cur.refused = append(cur.refused, q[1])
				}
			}
		case cur != nil && line == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.yaml += line + "\n"
		}
		previous = line
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDocs_ExamplesPassValidateOrAreMarkedRefused runs every YAML example of the config
// reference, and the README's NetworkConfig example, through `netclaimctl validate`: each
// decodes strictly and validates, unless the text marks it as refused, and then it is
// refused with the messages the mark names.
func TestDocs_ExamplesPassValidateOrAreMarkedRefused(t *testing.T) {
	var examples []docExample
	examples = append(examples, docExamples(t, "../../docs/config.md")...)
	for _, ex := range docExamples(t, "../../README.md") {
		if strings.Contains(ex.yaml, "netclaim.dev/v1alpha1") {
			examples = append(examples, ex)
		}
	}
	if len(examples) < 3 {
		t.Fatalf("found %d YAML examples, want the config reference's and the README's", len(examples))
	}
	for _, ex := range examples {
		var out bytes.Buffer
		err := validateFiles(&out, strings.NewReader(ex.yaml), []string{"-"})
		if strings.Contains(out.String(), "no netclaim.dev configs found") {
			t.Errorf("%s: example holds no netclaim.dev config:\n%s", ex.where, ex.yaml)
		}
		if len(ex.refused) == 0 {
			if err != nil {
				t.Errorf("%s: example is refused (%v):\n%s", ex.where, err, out.String())
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: example is marked refused but passes:\n%s", ex.where, out.String())
		}
		for _, msg := range ex.refused {
			if !strings.Contains(out.String(), msg) {
				t.Errorf("%s: example is marked refused with %q, but validate says:\n%s", ex.where, msg, out.String())
			}
		}
	}
}
