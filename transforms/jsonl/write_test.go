package jsonl

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
)

func TestWriteAllAndEmpty(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "sub", "full.jsonl")
	empty := filepath.Join(dir, "empty.jsonl")
	p, s := beam.NewPipelineWithRoot()
	Write(s, full, beam.CreateList(s, [][]byte{[]byte(`{"a":1}`), []byte(`{"a":2}`), []byte(`{"a":3}`)}))
	Write(s, empty, beam.CreateList(s, [][]byte{}))
	ptest.RunAndValidate(t, p)

	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	sort.Strings(lines)
	if strings.Join(lines, " ") != `{"a":1} {"a":2} {"a":3}` {
		t.Errorf("file holds %q", b)
	}
	if b, err := os.ReadFile(empty); err != nil || len(b) != 0 {
		t.Errorf("empty collection: %q, %v", b, err)
	}
	// No temporary files are left behind.
	left, _ := filepath.Glob(filepath.Join(dir, "sub", ".*"))
	if len(left) != 0 {
		t.Errorf("left over: %v", left)
	}
}
