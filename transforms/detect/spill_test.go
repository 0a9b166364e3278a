package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	register.Function1x2(splitTestBatch)
	register.Function1x1(anomalyRecord)
}

// testBatch is a device's batch as the fused stage emits it.
type testBatch struct {
	Device string
	Batch  []byte
}

func splitTestBatch(b testBatch) (string, []byte) { return b.Device, b.Batch }

// anomalyRecord is an anomaly whole, so that two scorers must agree on
// every field, bit for bit, not only on which readings they flag.
func anomalyRecord(a events.Anomaly) string {
	b, err := json.Marshal(a)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// fileBatchesForTest decodes n generated lines and cuts each device's
// readings into file batches of at most size readings, in line order, as
// the fused stage does; the lines' offsets are their byte positions (so
// ties in event time order by decimal offset, "f@1000" before "f@999").
// shuffle reorders the batches (a runner's shuffle does) and moves some
// readings to a later batch (a late line in the file).
func fileBatchesForTest(t *testing.T, n, size int, shuffle bool) []testBatch {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	type lineAt struct {
		r   events.Reading
		off int64
	}
	perDevice := map[string][]lineAt{}
	var devices []string
	var off int64
	for _, line := range generated(t, n) {
		var rec struct {
			Device string   `json:"device_id"`
			Temp   *float64 `json:"temperature"`
			Hum    *float64 `json:"humidity"`
		}
		at := off
		off += int64(len(line)) + 1
		if json.Unmarshal(line, &rec) != nil || rec.Device == "" || rec.Temp == nil {
			continue // malformed on purpose: a dead letter in the pipeline
		}
		r := events.Reading{DeviceID: rec.Device, Metrics: []events.Metric{{Name: "temperature", Value: *rec.Temp}}}
		if rec.Hum != nil {
			r.Metrics = append(r.Metrics, events.Metric{Name: "humidity", Value: *rec.Hum})
		}
		r.EventTimeMs = int64(len(perDevice[rec.Device])) * 60000
		if shuffle && rng.IntN(20) == 0 && len(perDevice[rec.Device]) > 3 {
			// A reading stamped like an earlier one: ties, and out of order.
			r.EventTimeMs -= int64(rng.IntN(3)) * 60000
		}
		if _, ok := perDevice[rec.Device]; !ok {
			devices = append(devices, rec.Device)
		}
		perDevice[rec.Device] = append(perDevice[rec.Device], lineAt{r, at})
	}
	var out []testBatch
	for _, d := range devices {
		lines := perDevice[d]
		if shuffle {
			for i := range lines {
				if j := i + rng.IntN(size*2+1); rng.IntN(10) == 0 && j < len(lines) {
					lines[i], lines[j] = lines[j], lines[i]
				}
			}
		}
		fb := NewFileBatch("/data/sensors.jsonl")
		for i, l := range lines {
			fb.Add(&l.r, l.off)
			if fb.Len() == size || i == len(lines)-1 {
				out = append(out, testBatch{d, bytes.Clone(fb.Bytes())})
				fb.Reset()
			}
		}
	}
	if shuffle {
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out
}

// TestSpilledScoreEqualsInMemory: with SpillDir, the bounded scorer finds
// the very anomalies (every field) the in-memory scorer finds, with a
// device's readings cut into many small batches that arrive shuffled,
// readings out of order across batches and ties in event time; and the
// spill files are in SpillDir.
func TestSpilledScoreEqualsInMemory(t *testing.T) {
	batches := fileBatchesForTest(t, 20000, 37, true)
	opts := Options{Detectors: []string{"ensemble"}, EveryScore: true}
	spill := t.TempDir()
	p, s := beam.NewPipelineWithRoot()
	in := beam.ParDo(s, splitTestBatch, beam.CreateList(s, batches))
	mem, _ := ScoreBatches(s.Scope("mem"), in, opts)
	opts.SpillDir = spill
	spilled, _ := ScoreBatches(s.Scope("spilled"), in, opts)
	memRecords := beam.ParDo(s, anomalyRecord, mem)
	passert.Count(s, memRecords, "in-memory anomalies", 20000-countMalformed(t, 20000))
	passert.Equals(s, beam.ParDo(s, anomalyRecord, spilled), memRecords)
	ptest.RunAndValidate(t, p)
	files, _ := filepath.Glob(filepath.Join(spill, "batches-*.spill"))
	if len(files) == 0 {
		t.Error("nothing was spilled")
	}
}

func countMalformed(t *testing.T, n int) int {
	t.Helper()
	bad := 0
	for _, line := range generated(t, n) {
		var rec struct {
			Device string   `json:"device_id"`
			Temp   *float64 `json:"temperature"`
		}
		if json.Unmarshal(line, &rec) != nil || rec.Device == "" || rec.Temp == nil {
			bad++
		}
	}
	return bad
}

// TestRunMergeOrder: sorted batches merged from a file come out in
// sortReadings' order, the order of the in-memory scorer, ties included.
func TestRunMergeOrder(t *testing.T) {
	batches := fileBatchesForTest(t, 3000, 20, true)
	path := filepath.Join(t.TempDir(), "runs")
	var file []byte
	type span struct{ off, n int64 }
	var spans []span
	var all []events.Reading
	for _, b := range batches {
		if b.Device != "sensor-001" {
			continue
		}
		rs, err := DecodeBatch(b.Device, b.Batch)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rs...)
		sorted, err := sortFileBatch(b.Batch)
		if err != nil {
			t.Fatal(err)
		}
		spans = append(spans, span{int64(len(file)), int64(len(sorted))})
		file = append(file, sorted...)
	}
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var m runMerge
	for _, sp := range spans {
		rr, err := newBufferedRun("sensor-001", io.NewSectionReader(f, sp.off, sp.n))
		if err != nil {
			t.Fatal(err)
		}
		rr.bareSource = true // as scoreRuns: the merge orders ties by the run's source bytes
		if err := m.add(rr); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	if err := m.each(func(r *events.Reading, rr *runReader) {
		if r.Source != "" {
			t.Fatalf("a bare-source run set Source %q", r.Source)
		}
		r.Source = string(rr.source())
		got = append(got, readingString(*r))
	}); err != nil {
		t.Fatal(err)
	}
	sortReadings(all)
	var want []string
	ties := 0
	for i, r := range all {
		want = append(want, readingString(r))
		if i > 0 && r.EventTimeMs == all[i-1].EventTimeMs {
			ties++
		}
	}
	if ties == 0 || len(spans) < 10 {
		t.Fatalf("the test wants ties and many runs: %d ties, %d runs", ties, len(spans))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merged %d readings out of sortReadings' order; first: %v, want %v", len(got), got[:3], want[:3])
	}
}

func readingString(r events.Reading) string {
	return fmt.Sprintf("%s %d %s %v", r.DeviceID, r.EventTimeMs, r.Source, r.Metrics)
}

// TestSortFileBatchRejectsOtherLayouts: only file batches can be spilled; any
// other batch is an error, not a silent loss.
func TestSortFileBatchRejectsOtherLayouts(t *testing.T) {
	if _, err := sortFileBatch(EncodeBatch([]events.Reading{{EventTimeMs: 1}})); err == nil {
		t.Error("a batch in the streaming layout was accepted")
	}
}

// TestFileBatchSorted: the allocation-free order check agrees with
// readingLess over the decoded readings, on shuffled batches with ties and on
// a tie whose sources order as strings, not as offsets ("f@100" < "f@99").
func TestFileBatchSorted(t *testing.T) {
	check := func(name string, b []byte) {
		t.Helper()
		rs, err := DecodeBatch("d", b)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.IsSortedFunc(rs, func(x, y events.Reading) int {
			switch {
			case readingLess(&x, &y):
				return -1
			case readingLess(&y, &x):
				return 1
			}
			return 0
		})
		got, err := fileBatchSorted(b)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: fileBatchSorted = %v, readingLess says %v", name, got, want)
		}
	}
	var sorted, unsorted int
	for i, b := range fileBatchesForTest(t, 3000, 20, true) {
		check(fmt.Sprintf("batch %d", i), b.Batch)
		if ok, _ := fileBatchSorted(b.Batch); ok {
			sorted++
		} else {
			unsorted++
		}
	}
	if sorted == 0 || unsorted == 0 {
		t.Fatalf("the test wants both kinds of batch: %d sorted, %d not", sorted, unsorted)
	}
	tie := func(offs ...int64) []byte {
		fb := NewFileBatch("f")
		for _, off := range offs {
			fb.Add(&events.Reading{EventTimeMs: 60000, Metrics: []events.Metric{{Name: "temperature", Value: 1}}}, off)
		}
		return fb.Bytes()
	}
	check("tie at offsets 99, 100", tie(99, 100))
	check("tie at offsets 100, 99", tie(100, 99))
	if ok, _ := fileBatchSorted(tie(99, 100)); ok {
		t.Error(`"f@99" before "f@100" at one time was taken as sorted`)
	}
	if _, err := fileBatchSorted(EncodeBatch([]events.Reading{{EventTimeMs: 1}})); err == nil {
		t.Error("a batch in the streaming layout was accepted")
	}
}
