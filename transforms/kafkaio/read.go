package kafkaio

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/mtime"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/drain"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/internal/watermarks"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/rawbatch"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func init() {
	rangeType := reflect.TypeOf((*partitionRange)(nil)).Elem()
	beam.RegisterType(rangeType)
	beam.RegisterCoder(rangeType, encodeRange, decodeRange)
	register.DoFn3x1[context.Context, []byte, func(partitionRange), error](&discoverFn{})
	register.Emitter1[partitionRange]()
	register.DoFn5x2[context.Context, *watermarks.Estimator, *sdf.LockRTracker, partitionRange,
		func(beam.EventTime, events.RawBatch), sdf.ProcessContinuation, error](&readFn{})
	register.Emitter2[beam.EventTime, events.RawBatch]()
}

// counters count what the read read; see watermarks.ReadCounters.
var counters = watermarks.NewReadCounters("kafka_records")

func init() { metrics.AddWatermarkSource(Watermark) }

// Read is ReadBatches with the records taken out of their batches:
// PCollection<events.Raw>, one element per record, Source
// "kafka://TOPIC/PARTITION@OFFSET", Data the record's value, stamped with
// the record's event time. For consumers that want records one by one.
func Read(s beam.Scope, opts ReadOptions) beam.PCollection {
	s = s.Scope("kafkaio.Read")
	return rawbatch.Records(s, readBatches(s, opts, "kafkaio.Read"))
}

// ReadBatches reads every partition of opts.Topic and returns
// PCollection<events.RawBatch>: one element per poll of a partition, the
// records in offset order, named "kafka://TOPIC/PARTITION@OFFSET", each
// with its event time (the record's timestamp, or opts.TimestampField),
// the element stamped with the earliest of them, so that no record is
// behind its element and the watermark, which follows the records, holds
// for each. A value over events.MaxRecordBytes is not passed on whole: it
// comes with a Problem, so that it becomes a dead letter. Control records
// (transaction markers) are not passed on.
//
// A stage that handles records in bulk (transforms/fused) takes the
// batches, so that the runner's per-element cost is paid per poll
// (thousands of records), not per record; Read hands out the records one
// by one.
//
// The partitions and their start (and, when bounded, end) offsets are
// looked up when the pipeline starts, on a worker. Partitions added to the
// topic later are not read until the pipeline is restarted.
//
// With opts.Group, the read commits its progress to the group, so that a
// restart with Start: Committed resumes where it left off:
//
//   - By default, the offset at which a checkpointed range resumes is
//     committed when it resumes, that is after the runner committed the
//     bundle that read up to it - not after the pipeline wrote the outputs
//     of those records, which on prism (state in memory) or Flink without
//     checkpoints may die with the process. (Bundle finalization would not
//     say more, and the Go SDK on Flink lacks it.)
//   - With opts.CommitOnStop, an unbounded read commits nothing while it
//     runs, only when it stops cleanly (drain.Request): each range commits
//     where it resumes and ends, and the pipeline, its sources ended,
//     writes every output before it finishes. A restart then reads exactly
//     the records the stopped run did not, and after a crash it reads
//     again everything since the last clean stop: nothing is lost, and
//     nothing is written twice after a clean stop (for outputs that
//     depend on one record each; window statistics of windows open at the
//     stop come out in two parts).
//   - A bounded read commits as by default, and commits its end offsets
//     when it reaches them, before its bundle is committed: a restart from
//     the group's offsets after a failure right there skips them.
//
// The running pipeline's own position is its checkpointed restrictions,
// not the group's offsets.
//
// ReadBatches panics when opts are invalid. The collection is unbounded even when
// the read is bounded (opts.Bounded or opts.MaxRecordsPerPartition); such a
// pipeline finishes once every partition reached its end. It needs a runner
// with self-checkpointing SDFs: prism (Beam 2.77 honours the resume delay),
// Flink, Dataflow; not the legacy direct runner.
func ReadBatches(s beam.Scope, opts ReadOptions) beam.PCollection {
	return readBatches(s, opts, "kafkaio.ReadBatches")
}

// readBatches is ReadBatches, named for a panic as the constructor called.
func readBatches(s beam.Scope, opts ReadOptions, name string) beam.PCollection {
	s = s.Scope("kafkaio.ReadBatches")
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		panic(fmt.Sprintf("%s: %v", name, err))
	}
	conn := connConfig{Brokers: opts.Brokers, ClientID: opts.ClientID, SASL: opts.SASL, TLS: opts.TLS}
	plan := readPlan{
		Topic:         opts.Topic,
		Group:         opts.Group,
		Start:         opts.Start,
		StartMs:       opts.StartTime.UnixMilli(),
		ResetTo:       opts.ResetTo,
		Bounded:       opts.Bounded,
		MaxRecords:    opts.MaxRecordsPerPartition,
		ReadCommitted: opts.ReadCommitted,
	}
	ranges := beam.ParDo(s, &discoverFn{Conn: conn, Plan: plan}, beam.Impulse(s))
	// Spread the partitions over the workers rather than leaving them all
	// to the one that listed them.
	ranges = beam.Reshuffle(s, ranges)
	return beam.ParDo(s, &readFn{
		Conn:           conn,
		Topic:          opts.Topic,
		Group:          opts.Group,
		ReadCommitted:  opts.ReadCommitted,
		BatchRecords:   opts.BatchRecords,
		BatchMs:        opts.BatchDuration.Milliseconds(),
		IdleMs:         opts.IdleDelay.Milliseconds(),
		WatermarkLagMs: opts.WatermarkLag.Milliseconds(),
		TimestampField: opts.TimestampField,
		Backfill:       opts.Bounded,
		CommitOnStop:   opts.CommitOnStop,
	}, ranges)
}

const (
	// pollWait is how long a poll waits for records before the partition
	// counts as quiet for this call, when records are due: the high
	// watermark is unknown or ahead of the read. A caught-up partition
	// waits only quietWait: records produced later reach the client's
	// buffer by its long poll while the range waits to resume, and prism
	// often runs many ranges one after another in one bundle, where a long
	// wait on each quiet partition would delay all the others.
	pollWait  = 250 * time.Millisecond
	quietWait = time.Millisecond
	// hwMaxAge is how old a high watermark may be to conclude that a
	// partition has caught up, and so to move its watermark to the clock.
	hwMaxAge = 5 * time.Second
	// adminTimeout bounds a best-effort request: a commit, a listing.
	adminTimeout = 5 * time.Second
)

// readFn is the splittable DoFn that reads one partition range per element.
// It reads until the range ends or a batch budget is spent, then
// checkpoints: the rest of the range goes back to the runner, to resume
// after IdleMs when the partition is quiet, at once otherwise.
type readFn struct {
	Conn           connConfig
	Topic          string
	Group          string
	ReadCommitted  bool
	BatchRecords   int
	BatchMs        int64
	IdleMs         int64
	WatermarkLagMs int64
	TimestampField string
	// Backfill holds the watermark until the ranges end (ReadOptions.Bounded).
	Backfill bool
	// CommitOnStop: see ReadOptions.CommitOnStop.
	CommitOnStop bool

	times     watermarks.TimeReader // for TimestampField; ProcessElement only
	opts      []kgo.Opt             // connection options, with the password: never exported
	admin     *kadm.Client
	mu        sync.Mutex
	consumers map[int32]*partitionConsumer
}

func (fn *readFn) Setup() error {
	opts, err := fn.Conn.kgoOpts()
	if err != nil {
		return fmt.Errorf("kafkaio.Read: %w", err)
	}
	fn.opts = opts
	if fn.admin, err = newAdmin(opts); err != nil {
		return fmt.Errorf("kafkaio.Read: %w", err)
	}
	return nil
}

func (fn *readFn) Teardown() {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	for _, c := range fn.consumers {
		c.close()
	}
	fn.consumers = nil
	if fn.admin != nil {
		fn.admin.Close()
		fn.admin = nil
	}
}

// consumer returns this instance's consumer of a partition.
func (fn *readFn) consumer(partition int32) *partitionConsumer {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	if fn.consumers == nil {
		fn.consumers = make(map[int32]*partitionConsumer)
	}
	c, ok := fn.consumers[partition]
	if !ok {
		c = newPartitionConsumer(fn.Topic, partition, fn.ReadCommitted)
		fn.consumers[partition] = c
	}
	return c
}

func (fn *readFn) CreateInitialRestriction(r partitionRange) partitionRange { return r }

// SplitRestriction keeps one restriction per partition: a partition is
// read in order, by one client.
func (fn *readFn) SplitRestriction(_ partitionRange, rest partitionRange) []partitionRange {
	return []partitionRange{rest}
}

func (fn *readFn) RestrictionSize(_ partitionRange, rest partitionRange) float64 {
	return rest.size(fn.consumer(rest.Partition).hw.get())
}

func (fn *readFn) CreateTracker(rest partitionRange) *sdf.LockRTracker {
	return sdf.NewLockRTracker(newRangeTracker(rest, fn.consumer(rest.Partition).hw))
}

// TruncateRestriction drops the unread rest of an unbounded range when the
// pipeline drains; a bounded range is read to its end.
func (fn *readFn) TruncateRestriction(rt *sdf.LockRTracker, _ partitionRange) partitionRange {
	rest := rt.GetRestriction().(partitionRange)
	if !rest.bounded() {
		rest.End = rest.Start
	}
	return rest
}

func (fn *readFn) InitialWatermarkEstimatorState(et beam.EventTime, _ partitionRange, _ partitionRange) int64 {
	return et.Milliseconds()
}

func (fn *readFn) CreateWatermarkEstimator(state int64) *watermarks.Estimator {
	return watermarks.NewEstimator(state, time.Duration(fn.WatermarkLagMs)*time.Millisecond, fn.TimestampField != "", fn.Backfill)
}

func (fn *readFn) WatermarkEstimatorState(we *watermarks.Estimator) int64 { return we.State() }

func (fn *readFn) ProcessElement(ctx context.Context, we *watermarks.Estimator, rt *sdf.LockRTracker,
	_ partitionRange, emit func(beam.EventTime, events.RawBatch)) (sdf.ProcessContinuation, error) {
	rest := rt.GetRestriction().(partitionRange)
	if rt.IsDone() {
		return sdf.StopProcessing(), nil
	}
	c := fn.consumer(rest.Partition)
	if drain.Requested() && !rest.bounded() {
		// A clean stop: every record before rest.Start was read by a
		// committed bundle, and the pipeline, whose sources all end now,
		// writes their outputs before it finishes.
		fn.commit(ctx, c, rest.Start)
		rt.Rt.(*rangeTracker).stop()
		c.close()
		publishWatermark(rest, we.State(), true)
		return sdf.StopProcessing(), nil
	}
	if !fn.CommitOnStop {
		// The runner resumes a range only after it committed the bundle
		// that read up to its start, so rest.Start is safe to commit.
		fn.commit(ctx, c, rest.Start)
	}
	if err := c.acquire(fn.opts, rest.Start); err != nil {
		return sdf.StopProcessing(), fmt.Errorf("kafkaio.Read %s: %w", rest, err)
	}
	defer c.release()

	prefix := fmt.Sprintf("kafka://%s/%d@", rest.Topic, rest.Partition)
	deadline := time.Now().Add(time.Duration(fn.BatchMs) * time.Millisecond)
	claimed, emitted, untimed := 0, 0, 0
	defer func() {
		counters.Count(ctx, emitted, untimed, we)
		publishWatermark(rest, we.State(), rt.IsDone())
	}()
	for claimed < fn.BatchRecords {
		wait := pollWait
		if hw := c.hw.get(); hw >= 0 && c.next >= hw {
			wait = quietWait
		}
		if wait = min(wait, time.Until(deadline)); wait <= 0 {
			break
		}
		recs, err := c.poll(ctx, fn.BatchRecords-claimed, wait)
		if err != nil {
			return sdf.StopProcessing(), fmt.Errorf("kafkaio.Read %s: %w", rest, err)
		}
		if len(recs) == 0 {
			if fn.caughtUp(ctx, c) {
				we.Idle(time.Now())
			}
			return sdf.ResumeProcessingIn(time.Duration(fn.IdleMs) * time.Millisecond), nil
		}
		batch, n, nUntimed, stop := fn.claim(rt, we, c, recs, prefix)
		claimed += n
		untimed += nUntimed
		if batch.Len() > 0 {
			emit(mtime.FromMilliseconds(batch.Earliest()), batch)
			emitted += batch.Len()
		}
		switch {
		case stop == stopClaim:
			// The range ended before the rest (a drain stopped it): they
			// are another restriction's.
			return sdf.StopProcessing(), rt.GetError()
		case stop == stopEnd:
			// A bounded range ended. Its last offsets are committed
			// before the runner commits the bundle: a restart from the
			// group's offsets after a failure right here skips them (see
			// the package doc).
			fn.commit(ctx, c, c.next)
			c.close()
			return sdf.StopProcessing(), nil
		}
	}
	return sdf.ResumeProcessingIn(0), nil
}

// Why claim stopped short of the poll's end.
const (
	stopNone  = iota
	stopClaim // a claim failed: the rest is left in c.pending
	stopEnd   // a bounded range reached its end
)

// claim claims a poll's records in order and returns the batch of those
// claimed, control records left out, how many it claimed, how many of the
// batch have no say in the watermark, and why it stopped: at the first
// claim that fails, at the range's end, or at the poll's end.
func (fn *readFn) claim(rt *sdf.LockRTracker, we *watermarks.Estimator, c *partitionConsumer,
	recs []*kgo.Record, prefix string) (batch events.RawBatch, claimed, untimed, stop int) {
	nowMs := time.Now().UnixMilli()
	batch.Prefix = prefix
	batch.Offsets = make([]int64, 0, len(recs))
	batch.Times = make([]int64, 0, len(recs))
	batch.Data = make([][]byte, 0, len(recs))
	batch.Sizes = make([]int64, 0, len(recs))
	for i, rec := range recs {
		if !rt.TryClaim(rec.Offset) {
			c.pending = recs[i:]
			return batch, claimed, untimed, stopClaim
		}
		claimed++
		c.next = rec.Offset + 1
		if !rec.Attrs.IsControl() {
			ms, timed := fn.eventTime(rec)
			if timed {
				we.Observe(ms, nowMs)
			} else {
				untimed++
			}
			addRecord(&batch, rec, ms)
		}
		if rt.IsDone() {
			return batch, claimed, untimed, stopEnd
		}
	}
	return batch, claimed, untimed, stopNone
}

// eventTime returns a record's event time in Unix ms and whether it may
// move the watermark: the time in TimestampField when it reads, or the
// Kafka record timestamp when no field is named. A tombstone, or a record
// whose field is missing or unreadable, keeps its Kafka timestamp as its
// element time (it is bound for a dead letter) but has no say in the
// watermark.
func (fn *readFn) eventTime(rec *kgo.Record) (ms int64, timed bool) {
	ms = rec.Timestamp.UnixMilli()
	if rec.Value == nil {
		return ms, false
	}
	if fn.TimestampField == "" {
		return ms, true
	}
	if t, ok := fn.times.FieldTime(rec.Value, fn.TimestampField); ok {
		return t, true
	}
	return ms, false
}

// caughtUp reports whether the partition has been read up to its high
// watermark, as known from a fetch or a listing at most hwMaxAge old. A
// quiet poll alone does not tell: the broker may be slow, or kgo may be
// retrying a failed fetch.
func (fn *readFn) caughtUp(ctx context.Context, c *partitionConsumer) bool {
	if hw := c.hw.get(); hw >= 0 && c.next < hw {
		return false
	}
	if c.hw.get() < 0 || time.Since(c.hwAt) > hwMaxAge {
		ctx, cancel := context.WithTimeout(ctx, adminTimeout)
		defer cancel()
		list := fn.admin.ListEndOffsets
		if fn.ReadCommitted {
			list = fn.admin.ListCommittedOffsets
		}
		lo, err := list(ctx, c.topic)
		if err != nil {
			return false
		}
		o, ok := lo.Lookup(c.topic, c.partition)
		if !ok || o.Err != nil || o.Offset < 0 {
			return false
		}
		c.hw.raise(o.Offset)
		c.hwAt = time.Now()
	}
	return c.next >= c.hw.get()
}

// commit records offset as the group's position in c's partition, best
// effort: a failure is logged (at most once a minute per partition) and the
// read goes on.
func (fn *readFn) commit(ctx context.Context, c *partitionConsumer, offset int64) {
	if fn.Group == "" || offset == c.committed {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	var offs kadm.Offsets
	offs.Add(kadm.Offset{Topic: c.topic, Partition: c.partition, At: offset, LeaderEpoch: -1})
	resps, err := fn.admin.CommitOffsets(ctx, fn.Group, offs)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		if time.Since(c.commitWarned) > time.Minute {
			c.commitWarned = time.Now()
			log.Warnf(ctx, "kafkaio.Read: committing offset %d of %s/%d to group %s: %v",
				offset, c.topic, c.partition, fn.Group, err)
		}
		return
	}
	c.committed = offset
}

// addRecord appends rec, with event time ms, to b. A value over
// events.MaxRecordBytes is cut to what a dead letter keeps, with the
// problem that makes it one; others are not copied (the batch shares the
// fetch's memory).
func addRecord(b *events.RawBatch, rec *kgo.Record, ms int64) {
	data, problem := rec.Value, ""
	if len(data) > events.MaxRecordBytes {
		data = append([]byte(nil), data[:events.MaxDeadLetterRaw]...)
		problem = fmt.Sprintf("record is %d bytes, over the %d-byte limit", len(rec.Value), events.MaxRecordBytes)
	}
	b.AddOffset(rec.Offset, ms, data, int64(len(rec.Value)), problem)
}
