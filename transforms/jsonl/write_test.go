package jsonl

import (
	"fmt"
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

// The finalizing step joins the committed shards in name order, counts their
// lines, and removes every shard of the write, including one a retried
// bundle left behind.
func TestFinalizeJoinsCommittedShardsAndRemovesOrphans(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.jsonl")
	fn := &finalizeFn{Path: path, Token: "abc"}
	shardFile := func(suffix, body string) string {
		name := strings.TrimSuffix(shardPattern(path, fn.Token), "*") + suffix
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return name
	}
	b := shardFile("2", "{\"b\":1}\n{\"b\":2}\n")
	a := shardFile("1", "{\"a\":1}\n")
	shardFile("9", "{\"retried\":1}\n")                   // a failed bundle's shard
	other := filepath.Join(dir, ".out.jsonl.zzz.shard-1") // another write's shard
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	in := []Shard{{}, {File: b, Lines: 2}, {File: a, Lines: 1}}
	if err := fn.ProcessElement(0, func(sh *Shard) bool {
		if len(in) == 0 {
			return false
		}
		*sh, in = in[0], in[1:]
		return true
	}, func(Shard) { t.Error("finalizeFn emitted") }); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\"a\":1}\n{\"b\":1}\n{\"b\":2}\n"; string(got) != want {
		t.Errorf("output %q, want %q", got, want)
	}
	if left, _ := filepath.Glob(shardPattern(path, fn.Token)); len(left) != 0 {
		t.Errorf("shards left: %v", left)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another write's shard was removed: %v", err)
	}
}

// Records of many bundles all reach the one file.
func TestWriteManyBundles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "many.jsonl")
	var in [][]byte
	for i := 0; i < 5000; i++ {
		in = append(in, []byte(fmt.Sprintf(`{"i":%d}`, i)))
	}
	p, s := beam.NewPipelineWithRoot()
	Write(s, path, beam.Reshuffle(s, beam.CreateList(s, in)))
	ptest.RunAndValidate(t, p)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l] = true
	}
	if len(lines) != len(in) || len(seen) != len(in) {
		t.Errorf("%d lines, %d distinct, want %d", len(lines), len(seen), len(in))
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(left) != 0 {
		t.Errorf("left over: %v", left)
	}
}

func TestRemoveLeftoversKeepsTheOutputAndOthers(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "anomalies.jsonl")
	keep := []string{"anomalies.jsonl", "window_stats.jsonl", ".window_stats.jsonl.aa.shard-1", "notes.txt"}
	gone := []string{".anomalies.jsonl.aa.shard-1", ".anomalies.jsonl.bb.shard-9", ".anomalies.jsonl.tmp-3"}
	for _, name := range append(append([]string{}, keep...), gone...) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := RemoveLeftovers(out); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(keep)
	if strings.Join(names, ",") != strings.Join(keep, ",") {
		t.Errorf("left %q, want %q", names, keep)
	}
	// Nothing to remove is not an error.
	if err := RemoveLeftovers(filepath.Join(dir, "missing", "x.jsonl")); err != nil {
		t.Errorf("no leftovers: %v", err)
	}
}
