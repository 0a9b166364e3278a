package themes

import (
	"cmp"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*events.ThemeAlert)(nil)).Elem())
	register.DoFn2x0[events.ThemeCount, func(string, int64)](&currentFn{})
	register.DoFn2x0[events.ThemeCount, func(beam.EventTime, string, int64)](&historyFn{})
	register.DoFn5x0[beam.Window, string, func(*int64) bool, func(*int64) bool, func(events.ThemeAlert)](&judgeFn{})
	register.Emitter2[string, int64]()
	register.Emitter3[beam.EventTime, string, int64]()
	register.Emitter1[events.ThemeAlert]()
	register.Iter1[int64]()
}

// TrendOptions configures Trending. The zero value is the default.
type TrendOptions struct {
	// Lookback is how many preceding windows form the baseline. Default 6.
	Lookback int
	// MinHistory is how many of those windows must have mentioned the theme
	// before it can alert, so a theme's first appearances and the stream's
	// first windows do not alert on an empty baseline. Default Lookback/2.
	MinHistory int
	// Threshold is the score at or above which a window alerts. Default 4:
	// at 3, chance bursts of review volume alerted on a synthetic stream with
	// no trend in it.
	Threshold float64
	// MinCount is the smallest count that can alert. Default 5.
	MinCount int64
}

func (o TrendOptions) withDefaults() TrendOptions {
	o.Lookback = cmp.Or(o.Lookback, 6)
	o.MinHistory = cmp.Or(o.MinHistory, max(1, o.Lookback/2))
	o.Threshold = cmp.Or(o.Threshold, 4)
	o.MinCount = cmp.Or(o.MinCount, 5)
	if o.Lookback < 1 || o.MinHistory > o.Lookback || o.Threshold <= 0 || o.MinCount < 1 {
		panic(fmt.Sprintf("themes.Trending: bad options %+v", o))
	}
	return o
}

// Trending returns PCollection<events.ThemeAlert>: the theme counts (from
// Count with fixed windows of the given size) that are far above their
// baseline.
//
// The baseline is the mean count of the theme over the Lookback windows
// before, counting a window without mentions as 0. The score is a Poisson
// z-score, (count - baseline) / sqrt(max(baseline, MinCount)): counts of
// mentions are roughly Poisson, whose variance equals its mean, so the score
// reads as "standard deviations above normal" for busy and quiet themes
// alike; the MinCount floor on the variance keeps a quiet theme's chance
// bursts (8 mentions against a baseline of 2.7) from alerting. A window
// alerts when score >= Threshold, count >= MinCount and the theme was
// mentioned in at least MinHistory of the Lookback windows.
//
// On a stream (CountStream) only each window's on-time pane is judged: a late
// pane, which repeats its window with more mentions, is skipped, so a window
// counts once in its own judgement and once in each later window's
// baseline. Its count and the late mentions stay in the counts stream. An
// on-time pane that reaches the judgement behind the watermark (a theme
// whose mentions run behind the others') is not judged either: alerts are
// derived, and every mention is accounted for in the counts.
func Trending(s beam.Scope, counts beam.PCollection, size time.Duration, opts TrendOptions) beam.PCollection {
	s = s.Scope("themes.Trending")
	opts = opts.withDefaults()
	if size < time.Millisecond {
		panic(fmt.Sprintf("themes.Trending: window size %s", size))
	}
	fixed := window.NewFixedWindows(size)
	current := beam.WindowInto(s, fixed, beam.ParDo(s, &currentFn{}, counts))
	history := beam.WindowInto(s, fixed, beam.ParDo(s, &historyFn{Lookback: opts.Lookback, SizeMs: size.Milliseconds()}, counts))
	grouped := beam.CoGroupByKey(s, current, history)
	return beam.ParDo(s, &judgeFn{TrendOptions: opts}, grouped)
}

type currentFn struct{}

func (fn *currentFn) ProcessElement(c events.ThemeCount, emit func(string, int64)) {
	if c.Late {
		return // see Trending: on-time panes only
	}
	emit(c.Theme, c.Count)
}

// historyFn sends a window's count forward into each of the next Lookback
// windows, stamped at their start.
type historyFn struct {
	Lookback int
	SizeMs   int64
}

func (fn *historyFn) ProcessElement(c events.ThemeCount, emit func(beam.EventTime, string, int64)) {
	if c.Late {
		return
	}
	for k := 1; k <= fn.Lookback; k++ {
		emit(beam.EventTime(c.WindowStartMs+int64(k)*fn.SizeMs), c.Theme, c.Count)
	}
}

type judgeFn struct {
	TrendOptions
}

func (fn *judgeFn) ProcessElement(w beam.Window, theme string, current, history func(*int64) bool, emit func(events.ThemeAlert)) {
	var count, n int64
	if !current(&count) {
		return // the theme was only mentioned in earlier windows
	}
	var sum, seen int64
	for history(&n) {
		sum += n
		seen++
	}
	if seen < int64(fn.MinHistory) || count < fn.MinCount {
		return
	}
	baseline := float64(sum) / float64(fn.Lookback)
	score := (float64(count) - baseline) / math.Sqrt(math.Max(baseline, float64(fn.MinCount)))
	if score < fn.Threshold {
		return
	}
	a := events.ThemeAlert{ThemeCount: events.ThemeCount{Theme: theme, Count: count}, Baseline: baseline, Score: score}
	if iw, ok := w.(window.IntervalWindow); ok {
		a.WindowStartMs, a.WindowEndMs = int64(iw.Start), int64(iw.End)
	}
	emit(a)
}
