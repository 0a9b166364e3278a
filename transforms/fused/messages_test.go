package fused

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/decode"
	"github.com/beamlens/beamlens/transforms/detect"
	"github.com/beamlens/beamlens/transforms/jsonl"
	"github.com/beamlens/beamlens/transforms/rawbatch"
	"github.com/beamlens/beamlens/transforms/windowstats"
)

func init() {
	register.Function2x1(deadAt)
	register.Function2x1(anomalyAt)
}

// deadAt and anomalyAt name an output with its element timestamp.
func deadAt(t beam.EventTime, d events.DeadLetter) []byte {
	return fmt.Appendf(nil, "dead %s %s at %d", d.Stage, d.Source, t.Milliseconds())
}

func anomalyAt(t beam.EventTime, a events.Anomaly) []byte {
	return fmt.Appendf(nil, "anomaly %s at %d", a.Reading.Source, t.Milliseconds())
}

// messageBatches cuts lines into batches of n records as a Kafka read
// would give them: offsets in order, event times out of order (so a
// batch's earliest is seldom its first), and one record the source
// rejected as oversize.
func messageBatches(lines [][]byte, n int) []events.RawBatch {
	var out []events.RawBatch
	for start := 0; start < len(lines); start += n {
		b := events.RawBatch{Prefix: "kafka://t/0@"}
		for i := start; i < min(start+n, len(lines)); i++ {
			ms := int64(1_700_000_000_000 + (i*7919)%100_000)
			if i == 1234 {
				b.AddOffset(int64(i), ms, lines[i][:10], 2<<20, "record is 2097152 bytes, over the limit")
				continue
			}
			b.AddOffset(int64(i), ms, lines[i], int64(len(lines[i])), "")
		}
		out = append(out, b)
	}
	return out
}

// TestMessagesMatchesPerRecordPath runs the stage over batches of
// messages and requires what the per-record path gives the same records
// one by one (rawbatch.Records, decode.Readings, detect.Detect,
// windowstats.PerKey): the same anomalies, dead letters (malformed and
// oversize, with their sources) and window statistics, and every anomaly
// and dead letter stamped with its own record's time, not its batch's;
// with one processor in the bundle's goroutine, and with three working on
// batches while the next ones come.
func TestMessagesMatchesPerRecordPath(t *testing.T) {
	for _, procs := range []int{1, 3} {
		t.Run(fmt.Sprintf("processors=%d", procs), func(t *testing.T) {
			defer func(n int) { maxParts = n }(maxParts)
			maxParts = procs
			testMessagesMatchesPerRecordPath(t)
		})
	}
}

func testMessagesMatchesPerRecordPath(t *testing.T) {
	dir := t.TempDir()
	_, data := sensorFile(t, dir, 5, func(b []byte) []byte {
		// Malformed records among the good ones.
		return bytes.ReplaceAll(b, []byte(`"device_id":"sensor-0007"`), []byte(`"device_id":sensor-0007"`))
	})
	recs := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	det := detect.Options{Detectors: []string{"threshold"}}
	win := windowstats.Options{}

	p, s := beam.NewPipelineWithRoot()
	batches := beam.Create(s, anys(messageBatches(recs, 97))...)
	stage := Messages(s, batches, Options{Detect: &det, Partials: true, Window: win})
	write(s, dir, "fused", stage.Anomalies, stage.DeadLetters, windowstats.MergePartials(s, stage.Partials, win))
	jsonl.Write(s, dir+"/fused/times.jsonl", beam.Flatten(s,
		beam.ParDo(s, deadAt, stage.DeadLetters), beam.ParDo(s, anomalyAt, stage.Anomalies)))

	ps := s.Scope("plain")
	readings, dead := decode.Readings(ps, rawbatch.Records(ps, batches), decode.Options{})
	anomalies, _ := detect.Detect(ps, readings, det)
	write(ps, dir, "plain", anomalies, dead, windowstats.PerKey(ps, readings, win))
	jsonl.Write(ps, dir+"/plain/times.jsonl", beam.Flatten(ps,
		beam.ParDo(ps, deadAt, dead), beam.ParDo(ps, anomalyAt, anomalies)))
	ptest.RunAndValidate(t, p)

	for _, stream := range []string{"anomalies", "deadletters", "times"} {
		f, g := lines(t, dir, "fused", stream), lines(t, dir, "plain", stream)
		if len(f) == 0 || strings.Join(f, "\n") != strings.Join(g, "\n") {
			t.Errorf("%s: fused %d lines, per-record %d, or they differ:\n%s\n---\n%s", stream, len(f), len(g),
				strings.Join(f[:min(5, len(f))], "\n"), strings.Join(g[:min(5, len(g))], "\n"))
		}
	}
	deadLines := strings.Join(lines(t, dir, "fused", "deadletters"), "\n")
	for _, want := range []string{`"source":"kafka://t/0@1234"`, `over the limit`} {
		if !strings.Contains(deadLines, want) {
			t.Errorf("dead letters lack %s", want)
		}
	}
	f, g := stats(t, dir, "fused"), stats(t, dir, "plain")
	if len(f) == 0 || len(f) != len(g) {
		t.Fatalf("window stats: fused %d records, per-record %d", len(f), len(g))
	}
	for k, w := range g {
		if v := f[k]; v.Count != w.Count || v.Min != w.Min || v.Max != w.Max {
			t.Fatalf("window %s: fused %+v, per-record %+v", k, v, w)
		}
	}
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
