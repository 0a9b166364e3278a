package themes

import (
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/detect"
	"github.com/beamlens/beamlens/transforms/windowstats"
)

func init() {
	register.DoFn2x0[events.ReviewWithThemes, func(beam.EventTime, events.Reading)](&mentionsFn{})
	register.DoFn2x0[events.WindowStats, func(beam.EventTime, events.ThemeCount)](&statsToCountFn{})
	register.DoFn2x0[events.ThemeCount, func(events.ThemeCount)](&alignedFn{})
	register.Emitter2[beam.EventTime, events.Reading]()
	register.Emitter2[beam.EventTime, events.ThemeCount]()
}

// CountsStage is the dead-letter stage of a theme mention too late for
// its window; it also names the streaming counters
// (theme_counts_late_panes, theme_counts_late_readings_dead_lettered).
const CountsStage = "theme_counts"

// mentionMetric is the one metric of a mention: its window count is the
// theme's count.
const mentionMetric = "mentions"

// StreamOptions configures CountStream. The zero value is the default.
type StreamOptions struct {
	CountOptions
	// AllowedLateness is how long after a window's end, in the theme's own
	// event time (its newest mention), mentions still refine the window in
	// late panes; later ones are dead letters. Default 0.
	AllowedLateness time.Duration
	// StateTTL is how long a theme with no window open is remembered.
	// Default windowstats.DefaultStateTTL.
	StateTTL time.Duration
}

// CountStream counts the reviews mentioning each theme per window on a
// stream, without losing any: PCollection<events.ReviewWithThemes> in,
// PCollection<events.ThemeCount> (in the global window, stamped at the
// window's end - 1ms, not ranked) and PCollection<events.DeadLetter> out.
//
// Each mention (a review naming a theme) is a reading of the theme for
// windowstats.PerDevice, so each theme's windows are judged against the
// theme's own newest mention rather than the global watermark: a window's
// on-time pane leaves when the theme shows a mention at or past its end,
// or when the watermark passes its end; a mention within AllowedLateness
// refines it in a late pane (Late, PaneIndex: the newest pane of a window is
// its count); a later one is a dead letter, stage theme_counts, naming the
// window and how late (for sliding windows: a mention too late for every
// window it falls in). So for every theme, the counts of the newest panes
// plus those dead letters equal the mentions counted (per window it falls
// in). Late panes and late dead letters are counted
// (theme_counts_late_panes, theme_counts_late_readings_dead_lettered).
// Count, with Beam's windows, is for bounded inputs, where nothing is late.
func CountStream(s beam.Scope, reviews beam.PCollection, opts StreamOptions) (counts, dead beam.PCollection) {
	s = s.Scope("themes.CountStream")
	opts.windowFn() // validates the window
	size := opts.Size
	if size == 0 {
		size = DefaultWindow
	}
	mentions := beam.ParDo(s, &mentionsFn{}, reviews)
	stats, dead := windowstats.PerDevice(s, detect.BatchByDevice(s, mentions), windowstats.Options{
		Size: size, Period: opts.Period, Metrics: []string{mentionMetric}, Quantiles: []float64{},
		AllowedLateness: opts.AllowedLateness, StateTTL: opts.StateTTL,
		Stage: CountsStage, KeyName: "theme",
	})
	return beam.ParDo(s, &statsToCountFn{}, stats), dead
}

// mentionsFn turns a review into one reading per theme it names, keyed by
// the theme, carrying the review for a dead letter.
type mentionsFn struct{}

func (fn *mentionsFn) ProcessElement(r events.ReviewWithThemes, emit func(beam.EventTime, events.Reading)) {
	seen := make(map[string]bool, len(r.Themes))
	for _, t := range r.Themes {
		if seen[t] {
			continue
		}
		seen[t] = true
		emit(beam.EventTime(r.Review.EventTimeMs), events.Reading{DeviceID: t, EventTimeMs: r.Review.EventTimeMs,
			Metrics: []events.Metric{{Name: mentionMetric, Value: 1}}, Raw: r.Review.Raw, Source: r.Review.Source})
	}
}

type statsToCountFn struct{}

func (fn *statsToCountFn) ProcessElement(w events.WindowStats, emit func(beam.EventTime, events.ThemeCount)) {
	emit(beam.EventTime(w.WindowEndMs-1), events.ThemeCount{Theme: w.DeviceID, Count: w.Count,
		WindowStartMs: w.WindowStartMs, WindowEndMs: w.WindowEndMs, Late: w.Late, PaneIndex: w.PaneIndex})
}

// Aligned keeps the counts whose window starts at a multiple of size:
// of sliding counts whose period divides size, the fixed windows of size.
// PCollection<events.ThemeCount> in and out.
func Aligned(s beam.Scope, counts beam.PCollection, size time.Duration) beam.PCollection {
	s = s.Scope("themes.Aligned")
	return beam.ParDo(s, &alignedFn{SizeMs: size.Milliseconds()}, counts)
}

type alignedFn struct {
	SizeMs int64
}

func (fn *alignedFn) ProcessElement(c events.ThemeCount, emit func(events.ThemeCount)) {
	if c.WindowStartMs%fn.SizeMs == 0 {
		emit(c)
	}
}
