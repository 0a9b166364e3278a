package detect

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/timers"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/devicebatch"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/deadletter"
)

func init() {
	register.DoFn2x0[events.Reading, func(beam.EventTime, string, []byte)](&batchByDeviceFn{})
	register.Emitter3[beam.EventTime, string, []byte]()
	register.DoFn7x1[context.Context, state.Provider, timers.Provider, string, []byte,
		func(beam.EventTime, events.Anomaly), func(events.DeadLetter), error](&streamScoreFn{})
	register.Emitter1[events.DeadLetter]()
}

// Counters of the streaming scorer.
var (
	lateScored = beam.NewCounter(metrics.Namespace, "late_readings_scored")
	lateDead   = beam.NewCounter(metrics.Namespace, "late_readings_dead_lettered")
	expired    = beam.NewCounter(metrics.Namespace, "device_states_expired")
)

// maxBatch caps how many readings batchByDeviceFn holds before it ships
// them, so a huge bundle cannot grow its memory without bound.
const maxBatch = 4096

// streaming scores learned detectors on an unbounded input, keeping each
// device's detectors in keyed state. Readings are first gathered per device
// within each bundle, so state is touched once per device per bundle, never
// per reading (a per-reading state access costs ~200 µs on prism). Only
// value state and event-time timers are used, which Go on Flink supports.
//
// With opts.Pane zero (the default) each bundle's readings of a device are
// scored as they arrive, in event-time order within the bundle: an alert
// leaves with the bundle that read its reading. With a Pane, readings wait
// in state until the watermark passes the end of their pane and are then
// scored in event-time order across bundles too, at the cost of the
// watermark's delay and one timer firing per device and pane.
//
// Every pane holding pending readings has its own timer (tagged with the
// pane's end), not one timer re-armed pane after pane: Flink fires event-time
// timers only as it advances the watermark, so a timer set behind the
// watermark waits for the end of the current bundle (a second or so). A
// chained timer thus scored one pane per bundle round trip, and a backlog
// (a replay, a restart, a watermark jump) never caught up; with one timer
// per pane, a watermark advance fires every pane it passed at once.
//
// A reading at or behind the point up to which its device was scored is
// late: within opts.AllowedLateness it is scored at once, out of order;
// beyond, it becomes a dead letter.
func streaming(s beam.Scope, readings beam.PCollection, opts Options) (anomalies, dead beam.PCollection) {
	global := beam.WindowInto(s, window.NewGlobalWindows(), readings)
	return scoreStreaming(s, beam.ParDo(s, &batchByDeviceFn{}, global), opts)
}

// scoreStreaming is streaming's keyed-state scorer on per-device batches
// (PCollection<KV<string, []byte>>, in the global window).
func scoreStreaming(s beam.Scope, batches beam.PCollection, opts Options) (anomalies, dead beam.PCollection) {
	return beam.ParDo2(s, &streamScoreFn{
		Detectors:         opts.Detectors,
		Metrics:           opts.metrics(),
		Config:            opts.config(),
		PaneMs:            opts.Pane.Milliseconds(),
		AllowedLatenessMs: opts.AllowedLateness.Milliseconds(),
		StateTTLMs:        stateTTLMs(opts.StateTTL),
		EveryScore:        opts.EveryScore,
		Device:            state.MakeValueState[[]byte]("device"),
		Flush:             timers.InEventTime("flush"),
	}, batches)
}

// stateTTLMs is the TTL in milliseconds; any negative TTL is -1 (never),
// and a positive one is at least a millisecond.
func stateTTLMs(ttl time.Duration) int64 {
	if ttl < 0 {
		return -1
	}
	return max(ttl.Milliseconds(), 1)
}

// batchByDeviceFn gathers a bundle's readings per device and emits each
// device's as one KV<device, encoded readings>, stamped with the earliest
// event time among them.
type batchByDeviceFn struct {
	batch *devicebatch.Batcher[events.Reading]
}

func (fn *batchByDeviceFn) StartBundle(func(beam.EventTime, string, []byte)) {
	if fn.batch == nil {
		fn.batch = devicebatch.New[events.Reading](maxBatch)
	}
	fn.batch.Reset()
}

func (fn *batchByDeviceFn) ProcessElement(r events.Reading, emit func(beam.EventTime, string, []byte)) {
	if fn.batch.Add(r.DeviceID, r.EventTimeMs, r) {
		fn.batch.Flush(encodeReadings, emit)
	}
}

func (fn *batchByDeviceFn) FinishBundle(emit func(beam.EventTime, string, []byte)) {
	fn.batch.Flush(encodeReadings, emit)
}

// streamScoreFn keeps one device's detectors and unscored readings in
// state, and scores them pane by pane as the watermark passes.
type streamScoreFn struct {
	Detectors         []string
	Metrics           []string
	Config            detectors.Config
	PaneMs            int64
	AllowedLatenessMs int64
	// StateTTLMs: a device silent this long in event time loses its state;
	// negative: never.
	StateTTLMs int64
	EveryScore bool

	Device state.Value[[]byte]
	// Flush fires at the end of each pane holding pending readings (its
	// tag is the pane's end, see paneTag), and as the expiry timer
	// (expiryTag), StateTTLMs past the newest reading. One timer family
	// serves both: prism hangs on a DoFn that declares two.
	Flush timers.EventTime

	sc *scorer
}

func (fn *streamScoreFn) Setup() (err error) {
	fn.sc, err = newScorer(fn.Detectors, fn.Metrics, fn.Config)
	if fn.sc != nil {
		fn.sc.every = fn.EveryScore
	}
	return err
}

func (fn *streamScoreFn) read(sp state.Provider, device string) (deviceState, error) {
	b, ok, err := fn.Device.Read(sp)
	if err != nil {
		return deviceState{}, err
	}
	if !ok {
		return newDeviceState(), nil
	}
	return decodeDeviceState(device, b)
}

// ProcessElement takes one bundle's readings of one device: the late ones
// are scored or dead-lettered now, the rest wait for their pane's timer.
func (fn *streamScoreFn) ProcessElement(ctx context.Context, sp state.Provider, tp timers.Provider, device string, batch []byte,
	emit func(beam.EventTime, events.Anomaly), dead func(events.DeadLetter)) error {
	rs, err := decodeReadings(device, batch)
	if err != nil {
		return err
	}
	st, err := fn.read(sp, device)
	if err != nil {
		return err
	}
	if fn.PaneMs == 0 {
		sortReadings(rs)
	}
	var touched map[int64]bool // ends of the panes that got pending readings
	restored := false
	restore := func() error {
		if !restored {
			restored = true
			return fn.sc.restore(st.Detectors)
		}
		return nil
	}
	for _, r := range rs {
		switch {
		case r.EventTimeMs > st.ScoredThrough && fn.PaneMs == 0:
			if err := restore(); err != nil {
				return err
			}
			fn.score(ctx, r, emit)
			st.ScoredThrough = r.EventTimeMs
		case r.EventTimeMs > st.ScoredThrough:
			st.Pending = append(st.Pending, r)
			if touched == nil {
				touched = map[int64]bool{}
			}
			touched[paneEnd(r.EventTimeMs, fn.PaneMs)] = true
		case r.EventTimeMs > st.ScoredThrough-fn.AllowedLatenessMs:
			if err := restore(); err != nil {
				return err
			}
			lateScored.Inc(ctx, 1)
			fn.score(ctx, r, emit)
		default:
			lateDead.Inc(ctx, 1)
			deadletter.Emit(ctx, dead, "detect", fn.lateReason(r, st.ScoredThrough),
				events.Raw{Source: r.Source, Data: r.Raw, Size: int64(len(r.Raw))})
		}
	}
	if restored {
		if st.Detectors, err = fn.sc.save(st.Detectors[:0:0]); err != nil {
			return err
		}
	}
	if len(touched) > 0 {
		sortReadings(st.Pending)
		fn.arm(tp, st.Pending, touched)
	}
	fn.scheduleExpiry(tp, &st, rs)
	return fn.Device.Write(sp, st.encode())
}

// scheduleExpiry sets the expiry timer StateTTLMs past the newest reading
// the device has shown, when no reading is pending (a pending one has its
// pane's flush timer, and expiry is scheduled again after that flush). A late
// batch never moves it earlier: newest covers what the state already saw.
func (fn *streamScoreFn) scheduleExpiry(tp timers.Provider, st *deviceState, rs []events.Reading) {
	if fn.StateTTLMs < 0 || len(st.Pending) > 0 {
		return
	}
	newest := newestTime(*st, rs)
	if newest > math.MaxInt64-fn.StateTTLMs {
		return
	}
	at := newest + fn.StateTTLMs
	// A device that keeps reporting would move the timer every bundle, and
	// a timer set costs about as much as the state write on prism: move it
	// only once it is a sixteenth of the TTL behind. State then lives
	// between 15/16 of the TTL and the TTL past the newest reading.
	if st.TimerAt != 0 && at >= st.TimerAt && at-st.TimerAt < fn.StateTTLMs/16 {
		return
	}
	// No output timestamp: the hold then sits at the firing time, ahead of
	// the watermark, so expiry never delays the anomalies; one at the
	// reading's time would hold every output back by the TTL.
	fn.Flush.Set(tp, time.UnixMilli(at), timers.WithTag(expiryTag(at)))
	st.TimerAt, st.HoldAt = at, 0
}

// expiryTag tags the expiry timer set to fire at at; a flush timer's tag is
// its pane's end. The expiry time is in the tag because a moved expiry timer
// may still fire at its old time: Flink fires every timer a watermark advance
// passed in one go, so after a backlog (a restore, a catch-up) the flush of a
// pane and the expiry it moved can be in flight together, and the old expiry
// then found the device's readings scored and dropped its state. A timer whose
// time is not the one the state waits for (deviceState.TimerAt) is stale.
func expiryTag(at int64) string { return expiryPrefix + strconv.FormatInt(at, 10) }

// expiryPrefix starts an expiry timer's tag. A savepoint of an older version
// holds expiry timers tagged "expiry" alone, taken to be current.
const expiryPrefix = "expiry:"

// staleExpiry reports whether the expiry timer tagged tag is not the one
// the device's state waits for.
func staleExpiry(tag string, st deviceState) bool {
	at, err := strconv.ParseInt(strings.TrimPrefix(tag, expiryPrefix), 10, 64)
	return strings.HasPrefix(tag, expiryPrefix) && err == nil && at != st.TimerAt
}

// paneTag is the tag of the flush timer of the pane ending at end.
func paneTag(end int64) string { return strconv.FormatInt(end, 10) }

// newestTime is the latest event time among the device's scored and
// pending readings and rs.
func newestTime(st deviceState, rs []events.Reading) int64 {
	newest := st.ScoredThrough
	for _, r := range st.Pending {
		newest = max(newest, r.EventTimeMs)
	}
	for _, r := range rs {
		newest = max(newest, r.EventTimeMs)
	}
	return newest
}

// OnTimer scores, in event-time order, every buffered reading up to the end
// of the pane whose timer fired (the watermark has passed them all), or
// expires the device's state when its expiry timer fired.
func (fn *streamScoreFn) OnTimer(ctx context.Context, sp state.Provider, tp timers.Provider, device string, tc timers.Context,
	emit func(beam.EventTime, events.Anomaly), _ func(events.DeadLetter)) error {
	st, err := fn.read(sp, device)
	if err != nil {
		return err
	}
	through, err := strconv.ParseInt(tc.Tag, 10, 64)
	if err != nil { // an expiry timer
		switch {
		case st.TimerAt == 0 || staleExpiry(tc.Tag, st):
			return nil // set before the state it served was dropped
		case len(st.Pending) == 0:
			return fn.expire(ctx, sp)
		default:
			// Readings came since: their flush schedules expiry again.
			st.TimerAt = 0
			return fn.Device.Write(sp, st.encode())
		}
	}
	n := 0
	for n < len(st.Pending) && st.Pending[n].EventTimeMs <= through {
		n++
	}
	if n == 0 {
		return nil // a later pane's timer fired first and scored this one
	}
	if err := fn.sc.restore(st.Detectors); err != nil {
		return err
	}
	for _, r := range st.Pending[:n] {
		fn.score(ctx, r, emit)
	}
	st.Pending = slices.Clone(st.Pending[n:])
	st.ScoredThrough = max(st.ScoredThrough, through)
	if st.Detectors, err = fn.sc.save(st.Detectors[:0:0]); err != nil {
		return err
	}
	fn.scheduleExpiry(tp, &st, nil)
	return fn.Device.Write(sp, st.encode())
}

// expire drops the state of a device that has shown nothing for StateTTLMs
// of event time: the timer fires only once the watermark passes that point,
// and every newer reading would have moved it.
func (fn *streamScoreFn) expire(ctx context.Context, sp state.Provider) error {
	expired.Inc(ctx, 1)
	return fn.Device.Clear(sp)
}

func (fn *streamScoreFn) score(ctx context.Context, r events.Reading, emit func(beam.EventTime, events.Anomaly)) {
	fn.sc.score(r, func(a events.Anomaly) {
		flagged.Inc(ctx, 1)
		metrics.AnomaliesEmitted.Inc()
		emit(beam.EventTime(r.EventTimeMs), a)
	})
}

// arm sets the flush timer of every pane in touched (the panes that just
// got pending readings) to the pane's end, holding the output watermark at
// the pane's earliest pending reading so that the anomalies its firing
// emits are never behind it. pending is sorted by event time.
func (fn *streamScoreFn) arm(tp timers.Provider, pending []events.Reading, touched map[int64]bool) {
	for i, r := range pending {
		end := paneEnd(r.EventTimeMs, fn.PaneMs)
		if i > 0 && paneEnd(pending[i-1].EventTimeMs, fn.PaneMs) == end {
			continue // not the pane's earliest
		}
		if touched[end] {
			fn.Flush.Set(tp, time.UnixMilli(end), timers.WithTag(paneTag(end)),
				timers.WithOutputTimestamp(time.UnixMilli(r.EventTimeMs)))
		}
	}
}

// paneEnd is the last millisecond of the pane of length pane holding t.
func paneEnd(t, pane int64) int64 {
	start := t - ((t%pane)+pane)%pane
	if start > math.MaxInt64-pane {
		return math.MaxInt64
	}
	return start + pane - 1
}

func (fn *streamScoreFn) lateReason(r events.Reading, through int64) string {
	return fmt.Sprintf("late: event time %s is more than the allowed lateness (%s) behind %s, up to which device %q was already scored",
		r.EventTime().Format(time.RFC3339Nano), time.Duration(fn.AllowedLatenessMs)*time.Millisecond,
		time.UnixMilli(through).UTC().Format(time.RFC3339Nano), r.DeviceID)
}
