package jsonl

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/events"
)

func TestMain(m *testing.M) {
	ptest.MainWithDefault(m, "prism")
}

func init() {
	beam.RegisterFunction(rawKey)
	beam.RegisterFunction(trimmedData)
}

func trimmedData(r events.Raw) string { return string(events.TrimRecord(r.Data)) }

// rawKey reduces a record to "data|problem" for comparison.
func rawKey(r events.Raw) string {
	if r.Problem != "" {
		return fmt.Sprintf("PROBLEM %d %s", r.Size, r.Problem)
	}
	return string(r.Data)
}

// TestReadSplitsExactlyOnce reads a file split into many small ranges, with
// lines crossing every boundary, and requires each line exactly once.
func TestReadSplitsExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	var want []any
	var b strings.Builder
	b.WriteString("\ufeff") // a BOM on the first line is tolerated
	for i := 0; i < 2000; i++ {
		line := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", i%37))
		want = append(want, line)
		b.WriteString(line)
		if i%3 == 0 {
			b.WriteString("\r\n")
		} else {
			b.WriteString("\n")
		}
		if i%100 == 0 {
			b.WriteString("\n   \n") // blank lines are skipped
		}
	}
	path := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	old := rangeBytes
	rangeBytes = 997 // prime: boundaries fall everywhere
	defer func() { rangeBytes = old }()

	p, s := beam.NewPipelineWithRoot()
	got := beam.ParDo(s, trimmedData, Read(s, path))
	passert.Equals(s, got, want...)
	ptest.RunAndValidate(t, p)
}

func TestReadHostileFiles(t *testing.T) {
	dir := t.TempDir()
	big := `{"device_id":"d","pad":"` + strings.Repeat("y", 5<<20) + `"}`
	files := map[string]string{
		"a_big.jsonl":    "{\"ok\":1}\n" + big + "\n{\"ok\":2}",
		"b_empty.jsonl":  "",
		"c_binary.jsonl": "\x00\x01\x02\xff\xfe\xfd\x7f\x80 no newline at all",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, s := beam.NewPipelineWithRoot()
	got := beam.ParDo(s, rawKey, Read(s, filepath.Join(dir, "*.jsonl")))
	passert.Equals(s, got,
		`{"ok":1}`, `{"ok":2}`,
		fmt.Sprintf("PROBLEM %d line is %d bytes, over the %d-byte limit", len(big), len(big), events.MaxRecordBytes),
		files["c_binary.jsonl"])
	ptest.RunAndValidate(t, p)
}

func TestMatch(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.jsonl", "a.jsonl", "c.txt"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	got, err := Match(filepath.Join(dir, "*.jsonl"))
	if err != nil || len(got) != 2 || !sort.StringsAreSorted(got) {
		t.Errorf("Match = %v, %v", got, err)
	}
	if _, err := Match(filepath.Join(dir, "missing.jsonl")); err == nil || !strings.Contains(err.Error(), "no file matches") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Match(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}
}

func TestLineReaderOversizeAtEOF(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x")
	content := strings.Repeat("z", events.MaxRecordBytes+10) // no final newline
	os.WriteFile(path, []byte(content), 0o644)
	var got []events.Raw
	fn := &readRangeFn{}
	if err := fn.ProcessElement(t.Context(), Range{Path: path, Start: 0, End: int64(len(content))}, func(r events.Raw) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Size != int64(len(content)) || got[0].Problem == "" || len(got[0].Data) != events.MaxDeadLetterRaw {
		t.Fatalf("got %d records; first: size %d, %d bytes kept, problem %q", len(got), got[0].Size, len(got[0].Data), got[0].Problem)
	}
}
