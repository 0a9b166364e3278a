package windowstats

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/timers"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/deadletter"
	"github.com/beamlens/beamlens/transforms/detect"
)

func init() {
	register.DoFn7x1[context.Context, state.Provider, timers.Provider, string, []byte,
		func(beam.EventTime, events.WindowStats), func(events.DeadLetter), error](&perDeviceFn{})
	register.Emitter2[beam.EventTime, events.WindowStats]()
}

// Stage is the dead-letter stage of a reading too late for its window.
const Stage = "window_stats"

// The counters of the streaming window statistics are named after
// Options.Stage: window_stats_late_panes,
// window_stats_late_readings_dead_lettered and
// window_stats_device_states_expired by default.

// PerDevice computes window statistics on a stream, each device's windows
// against that device's own event-time progress, so that one device's clock
// or backlog cannot make another device's readings late.
//
// It takes PCollection<KV<string, []byte>>: per-device batches of readings
// (the device id as key, detect.EncodeBatch's value), in the global window,
// as fused.Messages emits them. It returns PCollection<events.WindowStats>
// and PCollection<events.DeadLetter>.
//
// A window [start, end) of a device fires its on-time pane when the device
// shows a reading at or past end, or, for a device gone silent, when the
// watermark passes end (an event-time timer). It is kept until the device
// (or the watermark) is AllowedLateness past end: a reading that arrives for
// it meanwhile refines it and fires a late pane, the whole window again
// with Late set and a higher PaneIndex (accumulating panes: the newest pane
// of a window is its truth). A reading that arrives after that is a dead
// letter (stage window_stats) saying which window and how late. So the
// window counts of a metric (newest pane of each window) plus these dead
// letters always add up to the readings that carried the metric.
//
// State is touched once per device and batch; it holds only the device's
// open windows, so it stays bounded and is cleared when none is open.
func PerDevice(s beam.Scope, batches beam.PCollection, opts Options) (stats, dead beam.PCollection) {
	s = s.Scope("windowstats.PerDevice")
	opts = opts.withDefaults()
	opts.validate()
	return beam.ParDo2(s, &perDeviceFn{
		SizeMs:            opts.Size.Milliseconds(),
		PeriodMs:          opts.Period.Milliseconds(),
		AllowedLatenessMs: opts.AllowedLateness.Milliseconds(),
		StateTTLMs:        stateTTLMs(opts.StateTTL),
		Metrics:           opts.Metrics,
		Quantiles:         opts.Quantiles,
		Stage:             opts.Stage,
		KeyName:           opts.KeyName,
		Windows:           state.MakeValueState[[]byte]("windows"),
		Close:             timers.InEventTime("close"),
	}, batches)
}

type perDeviceFn struct {
	SizeMs, PeriodMs  int64
	AllowedLatenessMs int64
	StateTTLMs        int64
	Metrics           []string
	Quantiles         []float64
	Stage, KeyName    string

	Windows state.Value[[]byte]
	Close   timers.EventTime

	opts                            Options
	names                           []string
	latePanes, expired, lateDropped beam.Counter
}

func (fn *perDeviceFn) Setup() {
	fn.opts = Options{Size: time.Duration(fn.SizeMs) * time.Millisecond, Period: time.Duration(fn.PeriodMs) * time.Millisecond,
		Metrics: fn.Metrics, Quantiles: fn.Quantiles}
	if fn.Stage == "" { // a pipeline built before Stage existed
		fn.Stage, fn.KeyName = Stage, "device"
	}
	fn.latePanes = beam.NewCounter(metrics.Namespace, fn.Stage+"_late_panes")
	fn.expired = beam.NewCounter(metrics.Namespace, fn.Stage+"_device_states_expired")
	fn.lateDropped = beam.NewCounter(metrics.Namespace, fn.Stage+"_late_readings_dead_lettered")
}

func (fn *perDeviceFn) read(sp state.Provider) (deviceWindows, error) {
	b, ok, err := fn.Windows.Read(sp)
	if err != nil || !ok {
		return deviceWindows{Progress: math.MinInt64, ClosedThrough: math.MinInt64}, err
	}
	return decodeDeviceWindows(b)
}

// Timer tags. onTimeTag fires the on-time pane of a silent device's
// current window when the watermark passes its end (for fixed windows the
// only unfired one: the device's own progress fires the others, so no chain
// of re-armed timers trails a backlog: on Flink a timer set behind the
// watermark waits a bundle round trip). expiryTag drops the state of a
// device silent for StateTTL.
const (
	onTimeTag = "on_time"
	expiryTag = "expiry"
)

// write saves the device's windows and sets its timers.
func (fn *perDeviceFn) write(sp state.Provider, tp timers.Provider, dw *deviceWindows) error {
	if onTime := dw.firstUnfiredEnd(); onTime != 0 && onTime != dw.OnTimeAt {
		fn.Close.Set(tp, time.UnixMilli(onTime), timers.WithTag(onTimeTag))
		dw.OnTimeAt = onTime
	}
	if fn.StateTTLMs >= 0 {
		at := satAdd(max(dw.Progress, dw.ClosedThrough), fn.StateTTLMs)
		// Moving the timer costs about a state write: move it only once it
		// is a sixteenth of the TTL behind (state then lives between 15/16
		// of the TTL and the TTL past the device's newest reading).
		if dw.ExpireAt == 0 || at < dw.ExpireAt || at-dw.ExpireAt >= max(fn.StateTTLMs/16, 1) {
			fn.Close.Set(tp, time.UnixMilli(at), timers.WithTag(expiryTag))
			dw.ExpireAt = at
		}
	}
	return fn.Windows.Write(sp, dw.encode())
}

// ProcessElement adds one batch of a device's readings, in event-time
// order, to its windows, then fires what the device's progress closed.
func (fn *perDeviceFn) ProcessElement(ctx context.Context, sp state.Provider, tp timers.Provider, device string, batch []byte,
	emit func(beam.EventTime, events.WindowStats), dead func(events.DeadLetter)) error {
	rs, err := detect.DecodeBatch(device, batch)
	if err != nil {
		return err
	}
	dw, err := fn.read(sp)
	if err != nil {
		return err
	}
	fn.addBatch(ctx, device, &dw, rs, emit, dead)
	return fn.write(sp, tp, &dw)
}

// addBatch counts rs in the device's windows, in event-time order, dead-
// letters the readings too late for every window they fall in, and fires
// what the device's progress closed.
func (fn *perDeviceFn) addBatch(ctx context.Context, device string, dw *deviceWindows, rs []events.Reading,
	emit func(beam.EventTime, events.WindowStats), dead func(events.DeadLetter)) {
	slices.SortStableFunc(rs, func(a, b events.Reading) int { return cmp.Compare(a.EventTimeMs, b.EventTimeMs) })
	var starts []int64
	for i := range rs {
		r := &rs[i]
		starts = windowStarts(starts[:0], r.EventTimeMs, fn.opts)
		added := 0
		for _, start := range starts {
			end := start + fn.SizeMs
			if !dw.accepts(start, end, fn.AllowedLatenessMs) {
				continue
			}
			for _, m := range r.Metrics {
				if len(fn.Metrics) > 0 && !contains(fn.Metrics, m.Name) {
					continue
				}
				dw.window(m.Name, start, end).add(m.Value)
			}
			added++
		}
		if added == 0 {
			fn.lateDropped.Inc(ctx, 1)
			deadletter.Emit(ctx, dead, fn.Stage, fn.lateReason(device, r, starts, dw.Progress),
				events.Raw{Source: r.Source, Data: r.Raw, Size: int64(len(r.Raw))})
		}
		dw.Progress = max(dw.Progress, r.EventTimeMs)
	}
	fn.fire(ctx, device, dw, dw.Progress, emit)
}

// OnTimer fires a silent device's current window (on-time tag) or drops
// the state of a device silent for StateTTL (expiry tag).
func (fn *perDeviceFn) OnTimer(ctx context.Context, sp state.Provider, tp timers.Provider, device string, tc timers.Context,
	emit func(beam.EventTime, events.WindowStats), _ func(events.DeadLetter)) error {
	dw, err := fn.read(sp)
	if err != nil {
		return err
	}
	// A timer fires at the time it was last set to (a set replaces the one
	// pending with its tag), which the state records.
	if tc.Tag == expiryTag {
		if dw.ExpireAt == 0 || max(dw.Progress, dw.ClosedThrough) > dw.ExpireAt-fn.StateTTLMs {
			return nil // the device spoke since: a newer expiry timer is set
		}
		fn.fire(ctx, device, &dw, dw.ExpireAt, emit)
		fn.expired.Inc(ctx, 1)
		return fn.Windows.Clear(sp)
	}
	now := dw.OnTimeAt
	if now == 0 {
		return nil // set before the state it served was cleared
	}
	dw.OnTimeAt = 0
	fn.fire(ctx, device, &dw, now, emit)
	return fn.write(sp, tp, &dw)
}

// fire emits the on-time pane of every window that ends at or before now,
// and a late pane of every fired window refined since. It drops the fired
// windows the device's own progress has left AllowedLateness behind:
// lateness is judged by the device's clock alone, so a device behind the
// watermark (a backlog, a slow clock) loses nothing; its windows may fire
// early by the watermark and are then refined in late panes.
func (fn *perDeviceFn) fire(ctx context.Context, device string, dw *deviceWindows, now int64, emit func(beam.EventTime, events.WindowStats)) {
	kept := dw.Open[:0]
	for _, w := range dw.Open {
		switch {
		case !w.Fired && w.End <= now:
			w.Fired, w.Dirty = true, false
			emit(beam.EventTime(w.End-1), fn.stats(device, w))
		case w.Fired && w.Dirty:
			w.Dirty = false
			w.Pane++
			fn.latePanes.Inc(ctx, 1)
			emit(beam.EventTime(w.End-1), fn.stats(device, w))
		}
		if w.Fired && satAdd(w.End, fn.AllowedLatenessMs) <= dw.Progress {
			dw.ClosedThrough = max(dw.ClosedThrough, w.End)
			continue
		}
		kept = append(kept, w)
	}
	clear(dw.Open[len(kept):])
	dw.Open = kept
	dw.index = nil // it may name dropped windows
}

func (fn *perDeviceFn) stats(device string, w *openWindow) events.WindowStats {
	if fn.names == nil {
		fn.names = quantileNames(fn.Quantiles)
	}
	out := statsOf(device, w.Metric, w.Start, w.End, w.Acc, fn.Quantiles, fn.names)
	out.Late, out.PaneIndex = w.Pane > 0, w.Pane
	return out
}

func (fn *perDeviceFn) lateReason(device string, r *events.Reading, starts []int64, progress int64) string {
	newest := starts[0]
	end := newest + fn.SizeMs
	return fmt.Sprintf("late: window [%s, %s) of %s %q already closed; the reading at %s arrived %s after the %s's newest reading at %s (allowed lateness %s)",
		formatMs(newest), formatMs(end), fn.KeyName, device, formatMs(r.EventTimeMs),
		time.Duration(progress-r.EventTimeMs)*time.Millisecond, fn.KeyName, formatMs(progress),
		time.Duration(fn.AllowedLatenessMs)*time.Millisecond)
}

// stateTTLMs is the TTL in milliseconds; any negative TTL is -1 (never).
func stateTTLMs(ttl time.Duration) int64 {
	if ttl < 0 {
		return -1
	}
	return max(ttl.Milliseconds(), 1)
}

func formatMs(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }
