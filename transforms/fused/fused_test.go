package fused

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/models/synth"
	"github.com/beamlens/beamlens/transforms/decode"
	"github.com/beamlens/beamlens/transforms/detect"
	"github.com/beamlens/beamlens/transforms/jsonl"
	"github.com/beamlens/beamlens/transforms/windowstats"
)

func TestMain(m *testing.M) {
	ptest.MainWithDefault(m, "prism")
}

// TestFilesMatchesPerReadingPath runs the fused stage over a generated
// file cut into many small ranges, each worked on in parts (lines and
// windows fall across range and part boundaries) and requires the same anomalies, dead letters and window
// statistics as the per-reading path it replaces (jsonl.Read,
// decode.Readings, detect.Detect, windowstats.PerKey), each reading in
// exactly one place.
func TestFilesMatchesPerReadingPath(t *testing.T) {
	// Each 32 KiB range is worked on in three parts at once.
	defer func(b int64, n int) { minPartBytes, maxParts = b, n }(minPartBytes, maxParts)
	minPartBytes, maxParts = 4<<10, 3
	dir := t.TempDir()
	input, data := sensorFile(t, dir, 7, func(b []byte) []byte { return b })
	det := detect.Options{Detectors: []string{"threshold"}}
	win := windowstats.Options{}

	p, s := beam.NewPipelineWithRoot()
	stage := Files(s, input, Options{Detect: &det, Partials: true, Window: win, RangeBytes: 32 << 10})
	write(s, dir, "fused", stage.Anomalies, stage.DeadLetters, windowstats.MergePartials(s, stage.Partials, win))

	readings, dead := decode.Readings(s, jsonl.Read(s, input), decode.Options{})
	anomalies, _ := detect.Detect(s, readings, det)
	write(s, dir, "plain", anomalies, dead, windowstats.PerKey(s, readings, win))
	ptest.RunAndValidate(t, p)

	for _, stream := range []string{"anomalies", "deadletters"} {
		f, g := lines(t, dir, "fused", stream), lines(t, dir, "plain", stream)
		if len(f) == 0 || strings.Join(f, "\n") != strings.Join(g, "\n") {
			t.Errorf("%s: fused %d lines, per-reading %d, or they differ", stream, len(f), len(g))
		}
	}
	f, g := stats(t, dir, "fused"), stats(t, dir, "plain")
	if len(f) != len(g) || len(f) == 0 {
		t.Fatalf("window stats: fused %d records, per-reading %d", len(f), len(g))
	}
	var counted int64
	for k, w := range g {
		v, ok := f[k]
		if !ok {
			t.Fatalf("window %s missing from the fused stage's", k)
		}
		counted += v.Count
		// Exactly: a window's moments come from its sorted values, not from
		// the order the runner merged partials in.
		if v.Count != w.Count || v.Min != w.Min || v.Max != w.Max || v.Mean != w.Mean ||
			v.Variance != w.Variance || len(v.Quantiles) != len(w.Quantiles) {
			t.Fatalf("window %s: fused %+v, per-reading %+v", k, v, w)
		}
		for i := range v.Quantiles {
			if v.Quantiles[i] != w.Quantiles[i] {
				t.Fatalf("window %s: quantile %v, want %v", k, v.Quantiles[i], w.Quantiles[i])
			}
		}
	}
	// Conservation: every decoded reading's every metric is counted once.
	decoded := int64(0)
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		r, err := (&events.ReadingDecoder{}).Decode([]byte(line))
		if err == nil {
			decoded += int64(len(r.Metrics))
		}
	}
	if counted != decoded {
		t.Errorf("window counts sum to %d, want %d (every metric of every reading)", counted, decoded)
	}
}

func write(s beam.Scope, dir, name string, anomalies, dead, stats beam.PCollection) {
	s = s.Scope(name)
	jsonl.Write(s, filepath.Join(dir, name, "anomalies.jsonl"), jsonl.Format[events.Anomaly](s, anomalies))
	jsonl.Write(s, filepath.Join(dir, name, "deadletters.jsonl"), jsonl.Format[events.DeadLetter](s, withoutTime(s, dead)))
	jsonl.Write(s, filepath.Join(dir, name, "stats.jsonl"), jsonl.Format[events.WindowStats](s, stats))
}

func withoutTime(s beam.Scope, dead beam.PCollection) beam.PCollection {
	return beam.ParDo(s, clearTime, dead)
}

func clearTime(d events.DeadLetter) events.DeadLetter { d.TimeMs = 0; return d }

func init() { register.Function1x1(clearTime) }

func lines(t *testing.T, dir, name, stream string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name, stream+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Split(strings.TrimSpace(string(b)), "\n")
	sort.Strings(out)
	return out
}

type windowRecord struct {
	Count                    int64
	Mean, Variance, Min, Max float64
	Quantiles                []float64
}

func stats(t *testing.T, dir, name string) map[string]windowRecord {
	t.Helper()
	out := map[string]windowRecord{}
	for _, line := range lines(t, dir, name, "stats") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		k := m["device_id"].(string) + "|" + m["metric"].(string) + "|" + m["window_start"].(string)
		out[k] = windowRecord{Count: int64(m["count"].(float64)), Mean: m["mean"].(float64), Variance: m["variance"].(float64),
			Min: m["min"].(float64), Max: m["max"].(float64),
			Quantiles: []float64{m["p50"].(float64), m["p90"].(float64), m["p99"].(float64)}}
	}
	return out
}

// TestFileBatchesMatchFullBatches: the learned detectors score the same
// anomalies, with the same raw records (read back by RestoreRaw, CRLF
// line endings included), from file batches as from batches that carry
// every reading's raw bytes.
func TestFileBatchesMatchFullBatches(t *testing.T) {
	dir := t.TempDir()
	input, _ := sensorFile(t, dir, 11, func(b []byte) []byte {
		crlf := bytes.ReplaceAll(b[:len(b)/2], []byte("\n"), []byte("\r\n"))
		return append(crlf, b[len(b)/2:]...)
	})
	learned := detect.Options{}
	win := windowstats.Options{}

	p, s := beam.NewPipelineWithRoot()
	for _, fileBatches := range []bool{true, false} {
		name := map[bool]string{true: "file", false: "full"}[fileBatches]
		s := s.Scope(name)
		stage := Files(s, input, Options{Batches: true, FileBatches: fileBatches, Partials: true, RangeBytes: 64 << 10})
		anomalies, _ := detect.ScoreBatches(s, stage.Batches, learned)
		if fileBatches {
			anomalies = RestoreRaw(s, anomalies, events.DecodeOptions{})
		}
		write(s, dir, name, anomalies, stage.DeadLetters, windowstats.MergePartials(s, stage.Partials, win))
	}
	ptest.RunAndValidate(t, p)

	f, g := lines(t, dir, "file", "anomalies"), lines(t, dir, "full", "anomalies")
	if len(f) == 0 || strings.Join(f, "\n") != strings.Join(g, "\n") {
		t.Errorf("anomalies: from file batches %d lines, from full batches %d, or they differ", len(f), len(g))
	}
}

// sensorFile writes 6,000 generated readings (seed), passed through edit,
// to dir/s.jsonl and returns its path and contents.
func sensorFile(t *testing.T, dir string, seed uint64, edit func([]byte) []byte) (string, []byte) {
	t.Helper()
	var data, labels bytes.Buffer
	if err := synth.Sensors(&data, &labels, synth.SensorOptions{N: 6000, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	path, b := filepath.Join(dir, "s.jsonl"), edit(data.Bytes())
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, b
}

// TestSplitRangeReadsEveryLineOnce cuts ranges into parts at every size
// and requires that the parts, read as jsonl.ScanRange reads them, give
// each line of the range exactly once, in order: boundaries inside a
// line, on its newline and just after it included.
func TestSplitRangeReadsEveryLineOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.jsonl")
	var b strings.Builder
	for i := range 40 {
		b.WriteString(strings.Repeat("x", i%7) + "{}" + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	size := int64(b.Len())
	read := func(r jsonl.Range) []int64 {
		var offs []int64
		if err := jsonl.ScanRange(context.Background(), r, func(l jsonl.Line) { offs = append(offs, l.Offset) }); err != nil {
			t.Fatal(err)
		}
		return offs
	}
	for start := int64(0); start < size; start += 5 {
		for end := start + 1; end <= size; end += 3 {
			whole := read(jsonl.Range{Path: path, Start: start, End: end})
			for n := 1; n <= 5; n++ {
				var got []int64
				for _, part := range splitRange(jsonl.Range{Path: path, Start: start, End: end}, n, 1) {
					got = append(got, read(part)...)
				}
				if !slices.Equal(got, whole) {
					t.Fatalf("range [%d,%d) in %d parts: lines at %v, want %v", start, end, n, got, whole)
				}
			}
		}
	}
	if parts := splitRange(jsonl.Range{Path: path, Start: 0, End: 10 << 20}, 8, 2<<20); len(parts) != 5 {
		t.Errorf("10 MiB in parts of at least 2 MiB: %d parts, want 5", len(parts))
	}
}
