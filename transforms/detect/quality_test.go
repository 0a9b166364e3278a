package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/models/synth"
	"github.com/beamlens/beamlens/transforms/decode"
)

func init() {
	register.Function1x2(readingIDOf)
	register.DoFn2x1[int, func(*string) bool, error](&qualityCheckFn{})
	register.Iter1[string]()
}

// readingIDOf keys an anomaly's reading id under one key, to gather them.
func readingIDOf(a events.Anomaly) (int, string) {
	var rec struct {
		ID string `json:"reading_id"`
	}
	_ = json.Unmarshal(a.Reading.Raw, &rec)
	return 0, rec.ID
}

// qualityCheckFn regenerates the labelled stream (synth is deterministic)
// and fails the pipeline when the flagged readings miss the targets.
type qualityCheckFn struct {
	N            int
	Seed         uint64
	MinPrecision float64
	MinRecall    float64
}

func (fn *qualityCheckFn) ProcessElement(_ int, ids func(*string) bool) error {
	var buf, lab bytes.Buffer
	if err := synth.Sensors(&buf, &lab, synth.SensorOptions{N: fn.N, Seed: fn.Seed}); err != nil {
		return err
	}
	var labels []synth.SensorLabel
	for dec := json.NewDecoder(&lab); dec.More(); {
		var l synth.SensorLabel
		if err := dec.Decode(&l); err != nil {
			return err
		}
		labels = append(labels, l)
	}
	flagged := map[string]bool{}
	var id string
	for ids(&id) {
		flagged[id] = true
	}
	lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
	q, err := synth.EvaluateSensors(lines, labels, flagged)
	if err != nil {
		return err
	}
	if q.Precision < fn.MinPrecision || q.Recall < fn.MinRecall {
		return fmt.Errorf("seed %d: %v; want precision >= %.2f and recall >= %.2f", fn.Seed, q, fn.MinPrecision, fn.MinRecall)
	}
	return nil
}

// TestDefaultEnsembleQuality runs the command line's default detection -
// the default ensemble at detectors.StreamScoreThreshold, streaming - over
// generated labelled streams and requires precision and recall >= 0.9 on
// their spikes and level shifts.
func TestDefaultEnsembleQuality(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			// Seed 1 scores as readings arrive (the default); seed 2 holds
			// them for the watermark in hour-long panes.
			pane, lateness := time.Duration(0), 10*time.Minute
			if seed == 2 {
				pane, lateness = time.Hour, 0
			}
			const n = 20000
			var buf bytes.Buffer
			if err := synth.Sensors(&buf, nil, synth.SensorOptions{N: n, Seed: seed}); err != nil {
				t.Fatal(err)
			}
			lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
			p, s := beam.NewPipelineWithRoot()
			raws := beam.ParDo(s, lineToRaw, beam.CreateList(s, lines))
			readings, _ := decode.Readings(s, raws, decode.Options{MaxFuture: -1})
			// Readings come a minute apart per device, 1% of them a minute
			// late: the allowed lateness scores those.
			anomalies, dead := Detect(s, readings, Options{Detectors: []string{"ensemble"}, Streaming: true,
				Pane: pane, AllowedLateness: lateness,
				Learned: detectors.Config{ScoreThreshold: detectors.StreamScoreThreshold}})
			passert.Empty(s, dead)
			passert.NonEmpty(s, anomalies)
			ids := beam.GroupByKey(s, beam.ParDo(s, readingIDOf, anomalies))
			beam.ParDo0(s, &qualityCheckFn{N: n, Seed: seed, MinPrecision: 0.95, MinRecall: 0.95}, ids)
			ptest.RunAndValidate(t, p)
		})
	}
}
