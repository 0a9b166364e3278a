package eval

import (
	"fmt"
	"math"
	"strconv"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/deadletter"
	"github.com/beamlens/beamlens/transforms/decode"
	"github.com/beamlens/beamlens/transforms/detect"
	"github.com/beamlens/beamlens/transforms/jsonl"
)

func init() {
	register.Function1x1(scoreLine)
}

// Series is one series' readings file and what NAB's runner tells a
// detector about it in advance.
type Series struct {
	Name, Path string
	// Range is the series' min and max; Cooldown its rest period after an
	// alarm, in rows.
	Range    [2]float64
	Cooldown int
}

// Config is what Build wires.
type Config struct {
	// Glob names every series' readings file, read by one detection,
	// when Series is empty.
	Glob string
	// Series, when set, runs one detection per series, each told its
	// range and cooldown (--nab-range).
	Series []Series
	// Detect are the detection options; EveryScore should be set, so that
	// every row gets a score.
	Detect detect.Options
	// Scores is the JSON Lines file of row scores
	// ({"d":DEVICE,"t":EVENT_MS,"s":SCORE in [0,1]}).
	Scores string
	// DeadLetters is the JSON Lines file of the dead letters of decoding
	// and detection.
	DeadLetters string
}

// Build adds the evaluation pipeline to s.
func Build(s beam.Scope, cfg Config) {
	s = s.Scope("eval.Build")
	var scored, dead []beam.PCollection
	read := func(s beam.Scope, path string, o detect.Options) {
		readings, decodeDead := decode.Readings(s, jsonl.Read(s, path), decode.Options{MaxFuture: -1})
		sc, detectDead := detect.Detect(s, readings, o)
		scored = append(scored, sc)
		dead = append(dead, decodeDead, detectDead)
	}
	if len(cfg.Series) == 0 {
		read(s, cfg.Glob, cfg.Detect)
	}
	for _, in := range cfg.Series {
		o := cfg.Detect
		o.Learned.Range = in.Range
		o.Learned.Cooldown = in.Cooldown
		read(s.Scope(in.Name), in.Path, o)
	}
	all := scored[0]
	if len(scored) > 1 {
		all = beam.Flatten(s, scored...)
	}
	jsonl.Write(s, cfg.Scores, beam.ParDo(s, scoreLine, all))
	jsonl.Write(s, cfg.DeadLetters, jsonl.Format[events.DeadLetter](s, deadletter.Flatten(s, dead...)))
}

// scoreLine is one judged row: device, event time, and the score mapped to
// NAB's [0, 1].
func scoreLine(a events.Anomaly) []byte {
	return fmt.Appendf(nil, `{"d":%q,"t":%d,"s":%s}`, a.Reading.DeviceID, a.Reading.EventTimeMs,
		strconv.FormatFloat(unitScore(a.Score, a.Threshold), 'g', -1, 64))
}

// unitScore maps a detector's score to [0, 1] for NAB, monotonically (so
// NAB's threshold search sees the same ranking): s/(s+T) for a positive
// score s and threshold T, so the detector's own threshold lands on 0.5.
func unitScore(s, threshold float64) float64 {
	if !(s > 0) || math.IsInf(s, 0) {
		if math.IsInf(s, 1) {
			return 1
		}
		return 0
	}
	return s / (s + math.Max(threshold, 1e-9))
}
