package windowstats

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/jsonl"
)

func init() { register.Function1x2(splitPartial) }

// partialKV is one of Aggregator.Flush's partials as a test element.
type partialKV struct {
	Key     string
	Partial []byte
}

func splitPartial(p partialKV) (string, []byte) { return p.Key, p.Partial }

// TestWriteJSONLMatchesMergePartialsJSON: the file WriteJSONL writes as it
// merges holds exactly the lines MergePartialsJSON gives jsonl.Write, for
// partials of one window spread over several chunks.
func TestWriteJSONLMatchesMergePartialsJSON(t *testing.T) {
	opts := Options{Size: 5 * time.Minute}
	var partials []partialKV
	for chunk := 0; chunk < 3; chunk++ {
		agg := NewAggregator(opts.withDefaults())
		for i := 0; i < 2000; i++ {
			r := events.Reading{DeviceID: []string{"a", "b", "c"}[i%3], EventTimeMs: int64(i*7919%(3600*6)) * 1000,
				Metrics: []events.Metric{{Name: "m", Value: float64(chunk*1000 + i%97)}}}
			agg.Add(&r)
		}
		agg.Flush(func(key string, p []byte) { partials = append(partials, partialKV{key, slices.Clone(p)}) })
	}
	dir := t.TempDir()
	viaWriter, direct := filepath.Join(dir, "writer.jsonl"), filepath.Join(dir, "direct.jsonl")
	p, s := beam.NewPipelineWithRoot()
	kvs := beam.ParDo(s, splitPartial, beam.CreateList(s, partials))
	jsonl.Write(s, viaWriter, MergePartialsJSON(s, kvs, opts))
	WriteJSONL(s, kvs, opts, direct)
	ptest.RunAndValidate(t, p)
	want, got := sortedLines(t, viaWriter), sortedLines(t, direct)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("WriteJSONL wrote %d lines, MergePartialsJSON + jsonl.Write %d, or they differ", len(got), len(want))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Fatalf("shards left behind: %v", left)
	}
}

func sortedLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	slices.Sort(lines)
	return lines
}

// TestSpilledMergeMatchesShuffle: with SpillDir, WriteJSONL and
// MergePartials give exactly what they give through the shuffle, and the
// partials went through spill files.
func TestSpilledMergeMatchesShuffle(t *testing.T) {
	opts := Options{Size: 5 * time.Minute}
	var partials []partialKV
	for chunk := 0; chunk < 5; chunk++ {
		agg := NewAggregator(opts.withDefaults())
		for i := 0; i < 3000; i++ {
			r := events.Reading{DeviceID: []string{"a", "b", "c", "d"}[i%4], EventTimeMs: int64(i*7919%(3600*48)) * 1000,
				Metrics: []events.Metric{{Name: "m", Value: float64(chunk*1000 + i%97)}, {Name: "n", Value: float64(i % 13)}}}
			agg.Add(&r)
		}
		agg.Flush(func(key string, p []byte) { partials = append(partials, partialKV{key, slices.Clone(p)}) })
	}
	dir, spill := t.TempDir(), t.TempDir()
	shuffled, spilled := filepath.Join(dir, "shuffled.jsonl"), filepath.Join(dir, "spilled.jsonl")
	p, s := beam.NewPipelineWithRoot()
	kvs := beam.ParDo(s, splitPartial, beam.CreateList(s, partials))
	WriteJSONL(s.Scope("shuffled"), kvs, opts, shuffled)
	spillOpts := opts
	spillOpts.SpillDir = spill
	WriteJSONL(s.Scope("spilled"), kvs, spillOpts, spilled)
	recordsShuffled := MergePartials(s.Scope("recordsShuffled"), kvs, opts)
	recordsSpilled := MergePartials(s.Scope("recordsSpilled"), kvs, spillOpts)
	passert.Equals(s, recordsSpilled, recordsShuffled)
	ptest.RunAndValidate(t, p)
	want, got := sortedLines(t, shuffled), sortedLines(t, spilled)
	if len(want) < 100 || !slices.Equal(got, want) {
		t.Fatalf("spilled: %d lines, shuffled %d, or they differ", len(got), len(want))
	}
	if files, _ := filepath.Glob(filepath.Join(spill, "partials-*.spill")); len(files) == 0 {
		t.Error("nothing was spilled")
	}
}
