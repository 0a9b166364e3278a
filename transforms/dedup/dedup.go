package dedup

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/timers"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/devicebatch"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	register.DoFn2x0[events.Reading, func(beam.EventTime, string, []byte)](&batchFn{})
	register.Emitter3[beam.EventTime, string, []byte]()
	register.DoFn6x1[context.Context, state.Provider, timers.Provider, string, []byte, func(beam.EventTime, events.Reading), error](&dropFn{})
	register.Emitter2[beam.EventTime, events.Reading]()
}

var droppedCounter = beam.NewCounter(metrics.Namespace, "duplicates_dropped")

// maxBatch caps how many readings batchFn holds before shipping them.
const maxBatch = 4096

// Readings drops later copies of a reading. Expects PCollection<events.Reading>
// (event-timestamped, any windowing), returns the unique readings as
// PCollection<events.Reading> in the global window, each at its event time;
// the first copy seen wins. Counts drops as duplicates_dropped.
func Readings(s beam.Scope, readings beam.PCollection, opts Options) beam.PCollection {
	s = s.Scope("dedup.Readings")
	opts.validate()
	global := beam.WindowInto(s, window.NewGlobalWindows(), readings)
	batches := beam.ParDo(s, &batchFn{Key: opts.Key}, global)
	return beam.ParDo(s, &dropFn{
		WindowMs: opts.window().Milliseconds(),
		Seen:     state.MakeValueState[[]byte]("seen"),
		Expire:   timers.InEventTime("expire"),
	}, batches)
}

// batchFn reads each reading's identity and gathers a bundle's readings per
// device, emitting each device's as KV<device, encoded (identity, reading)
// pairs> stamped with the earliest event time among them.
type batchFn struct {
	Key   string
	kr    *events.KeyReader
	batch *devicebatch.Batcher[keyed]
}

// keyed is a reading with its identity; ok is false for a reading without
// one.
type keyed struct {
	key string
	ok  bool
	r   events.Reading
}

func (fn *batchFn) Setup() error {
	var err error
	fn.kr, err = events.NewKeyReader(fn.Key)
	fn.batch = devicebatch.New[keyed](maxBatch)
	return err
}

func (fn *batchFn) StartBundle(func(beam.EventTime, string, []byte)) { fn.batch.Reset() }

func (fn *batchFn) ProcessElement(r events.Reading, emit func(beam.EventTime, string, []byte)) {
	key, ok := fn.kr.Key(r.Raw)
	if fn.batch.Add(r.DeviceID, r.EventTimeMs, keyed{key, ok, r}) {
		fn.batch.Flush(encodeKeyed, emit)
	}
}

func (fn *batchFn) FinishBundle(emit func(beam.EventTime, string, []byte)) {
	fn.batch.Flush(encodeKeyed, emit)
}

// encodeKeyed encodes a device's batch: each reading after its identity,
// or after a mark that it has none (such a reading always passes).
func encodeKeyed(ks []keyed) []byte {
	var b []byte
	for _, k := range ks {
		if k.ok {
			b = append(b, 1)
			b = binary.AppendUvarint(b, uint64(len(k.key)))
			b = append(b, k.key...)
		} else {
			b = append(b, 0)
		}
		b = events.AppendReading(b, k.r)
	}
	return b
}

var errCorrupt = errors.New("dedup: corrupt batch or state")

// dropFn keeps, per device, the identities seen within WindowMs of the
// device's newest event time, and passes on the readings not among them.
type dropFn struct {
	WindowMs int64
	Seen     state.Value[[]byte]
	// Expire fires WindowMs past the device's newest reading and clears
	// its state: every identity in it is then too old to matter.
	Expire timers.EventTime
}

func (fn *dropFn) ProcessElement(ctx context.Context, sp state.Provider, tp timers.Provider, device string, batch []byte,
	emit func(beam.EventTime, events.Reading)) error {
	b, _, err := fn.Seen.Read(sp)
	if err != nil {
		return err
	}
	seen, err := decodeSeen(b)
	if err != nil {
		return err
	}
	for len(batch) > 0 {
		hasKey := batch[0] == 1
		batch = batch[1:]
		var key string
		if hasKey {
			n, w := binary.Uvarint(batch)
			if w <= 0 || n > uint64(len(batch)-w) {
				return errCorrupt
			}
			key, batch = string(batch[w:w+int(n)]), batch[w+int(n):]
		}
		var r events.Reading
		if r, batch, err = events.ReadReading(batch); err != nil {
			return err
		}
		if hasKey {
			if t, dup := seen.ids[key]; dup && abs(t-r.EventTimeMs) <= fn.WindowMs {
				droppedCounter.Inc(ctx, 1)
				metrics.DuplicatesDropped.Inc()
				continue
			}
			seen.ids[key] = r.EventTimeMs
			seen.newest = max(seen.newest, r.EventTimeMs)
		}
		emit(beam.EventTime(r.EventTimeMs), r)
	}
	seen.prune(fn.WindowMs)
	if len(seen.ids) == 0 {
		return nil // nothing but readings without an identity
	}
	// A device that keeps reporting would move the timer every bundle
	// (a timer set costs about a state write on prism): set it once, and
	// let OnTimer move it on if the device reported since.
	if seen.timerAt == 0 {
		fn.setTimer(tp, &seen)
	}
	return fn.Seen.Write(sp, seen.encode())
}

func (fn *dropFn) setTimer(tp timers.Provider, seen *seenSet) {
	seen.timerAt = seen.newest + fn.WindowMs + 1
	fn.Expire.Set(tp, time.UnixMilli(seen.timerAt))
}

// OnTimer forgets a device whose newest identity has fallen more than the
// window behind the watermark, or sets the timer again past its newest.
func (fn *dropFn) OnTimer(ctx context.Context, sp state.Provider, tp timers.Provider, device string, tc timers.Context,
	emit func(beam.EventTime, events.Reading)) error {
	b, _, err := fn.Seen.Read(sp)
	if err != nil || len(b) == 0 {
		return err
	}
	seen, err := decodeSeen(b)
	if err != nil {
		return err
	}
	if seen.newest+fn.WindowMs+1 <= seen.timerAt {
		return fn.Seen.Clear(sp)
	}
	fn.setTimer(tp, &seen)
	return fn.Seen.Write(sp, seen.encode())
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
