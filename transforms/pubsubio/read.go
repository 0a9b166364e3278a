package pubsubio

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"cloud.google.com/go/pubsub/v2"
	vkit "cloud.google.com/go/pubsub/v2/apiv1"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/mtime"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/drain"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/internal/watermarks"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/rawbatch"
)

func init() {
	restType := reflect.TypeOf((*readRestriction)(nil)).Elem()
	beam.RegisterType(restType)
	beam.RegisterCoder(restType, encodeRestriction, decodeRestriction)
	register.DoFn5x2[context.Context, *watermarks.Estimator, *readTracker, string,
		func(beam.EventTime, events.RawBatch), sdf.ProcessContinuation, error](&readFn{})
	register.Emitter2[beam.EventTime, events.RawBatch]()
}

// counters count what the read read; see watermarks.ReadCounters.
var counters = watermarks.NewReadCounters("pubsub_messages")

func init() { metrics.AddWatermarkSource(Watermark) }

// Read is ReadBatches with the messages taken out of their batches:
// PCollection<events.Raw>, one element per message, Source
// "pubsub://projects/P/subscriptions/S@MESSAGE_ID", Data the message's
// data, stamped with the message's event time. For consumers that want
// messages one by one.
func Read(s beam.Scope, opts ReadOptions) beam.PCollection {
	s = s.Scope("pubsubio.Read")
	return rawbatch.Records(s, readBatches(s, opts, "pubsubio.Read"))
}

// ReadBatches pulls messages from the subscription opts.Subscription and
// returns PCollection<events.RawBatch>: one element per pull, the
// messages named "pubsub://projects/P/subscriptions/S@MESSAGE_ID", each
// with its event time (the publish time, or opts.TimestampField or
// opts.TimestampAttribute), the element stamped with the earliest of
// them, so that no message is behind its element. A message over
// events.MaxRecordBytes, or without a valid timestamp attribute, comes with
// a Problem, so that it becomes a dead letter. A stage that handles
// messages in bulk (transforms/fused) takes the batches, so that the
// runner's per-element cost is paid per pull, not per message.
//
// A message is acknowledged only after the runner committed the bundle that
// emitted it (see the package doc for what that guarantees on each runner):
// delivery is at least once. Unacknowledged messages - those of a failed
// bundle, or of a pipeline stopped before its last checkpoint was resumed -
// are redelivered by Pub/Sub once their ack deadline (at most a minute)
// runs out.
//
// ReadBatches panics when opts are invalid. The collection is unbounded even when
// the read ends (opts.MaxMessages or opts.StopAfterIdle); such a pipeline
// finishes once the read has ended and acknowledged its last messages. It
// needs a runner with self-checkpointing SDFs: prism, Flink, Dataflow; not
// the legacy direct runner.
func ReadBatches(s beam.Scope, opts ReadOptions) beam.PCollection {
	return readBatches(s, opts, "pubsubio.ReadBatches")
}

// readBatches is ReadBatches, named for a panic as the constructor called.
func readBatches(s beam.Scope, opts ReadOptions, name string) beam.PCollection {
	s = s.Scope("pubsubio.ReadBatches")
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		panic(fmt.Sprintf("%s: %v", name, err))
	}
	fn := &readFn{
		Project:            opts.Project,
		Subscription:       opts.Subscription,
		TimestampField:     opts.TimestampField,
		TimestampAttribute: opts.TimestampAttribute,
		MaxMessages:        opts.MaxMessages,
		StopAfterIdleMs:    opts.StopAfterIdle.Milliseconds(),
		BatchMessages:      opts.BatchMessages,
		BatchMs:            opts.BatchDuration.Milliseconds(),
		IdleMs:             opts.IdleDelay.Milliseconds(),
		WatermarkLagMs:     opts.WatermarkLag.Milliseconds(),
		AckDelayMs:         opts.AckDelay.Milliseconds(),
	}
	return beam.ParDo(s, fn, beam.Create(s, subscriptionName(opts.Project, opts.Subscription)))
}

func subscriptionName(project, id string) string {
	return "projects/" + project + "/subscriptions/" + id
}

const (
	// pullWait bounds one pull: Pub/Sub holds a pull that finds nothing for
	// a while (pstest for 500ms), and a pull cut short by this deadline
	// returns nothing. It is never shortened to fit the batch budget: a
	// pull cancelled just as the server hands it messages leaves them
	// leased to nobody until their deadline runs out, a redelivery late by
	// seconds, so the read cancels pulls as rarely as it can.
	pullWait = time.Second
	// maxPull is the most messages one pull asks for.
	maxPull = 1000
)

// readFn is the splittable DoFn that pulls one subscription. Its element
// is the subscription's full name; its restriction carries the messages
// waiting to be acknowledged from one bundle to the next (see
// readRestriction). It pulls until a batch budget is spent or a pull comes
// back empty, then checkpoints: at once when it read something, after
// IdleMs when the subscription is quiet.
type readFn struct {
	Project            string
	Subscription       string
	TimestampField     string
	TimestampAttribute string
	MaxMessages        int64
	StopAfterIdleMs    int64
	BatchMessages      int
	BatchMs            int64
	IdleMs             int64
	WatermarkLagMs     int64
	AckDelayMs         int64

	times   watermarks.TimeReader // for TimestampField; ProcessElement only
	client  *pubsub.Client
	sub     *vkit.SubscriptionAdminClient
	subName string
	prefix  string
	warned  time.Time
}

// Setup connects. The client library finds the credentials (Application
// Default Credentials) and honours PUBSUB_EMULATOR_HOST, on the worker.
func (fn *readFn) Setup(ctx context.Context) error {
	c, err := pubsub.NewClient(ctx, fn.Project)
	if err != nil {
		return fmt.Errorf("pubsubio.Read: %w", err)
	}
	fn.client, fn.sub = c, c.SubscriptionAdminClient
	fn.subName = subscriptionName(fn.Project, fn.Subscription)
	fn.prefix = "pubsub://" + fn.subName + "@"
	return nil
}

func (fn *readFn) Teardown() {
	if fn.client != nil {
		fn.client.Close()
		fn.client, fn.sub = nil, nil
	}
}

func (fn *readFn) CreateInitialRestriction(string) readRestriction { return readRestriction{} }

// SplitRestriction keeps the one restriction: a subscription is pulled by
// one reader.
func (fn *readFn) SplitRestriction(_ string, rest readRestriction) []readRestriction {
	return []readRestriction{rest}
}

func (fn *readFn) RestrictionSize(string, readRestriction) float64 { return 1 }

func (fn *readFn) CreateTracker(rest readRestriction) *readTracker { return newReadTracker(rest) }

// TruncateRestriction ends a draining read: it pulls no more, but still
// acknowledges what committed bundles emitted.
func (fn *readFn) TruncateRestriction(rt *readTracker, _ string) readRestriction {
	rest := rt.GetRestriction().(readRestriction)
	rest.Finishing = true
	return rest
}

func (fn *readFn) InitialWatermarkEstimatorState(et beam.EventTime, _ readRestriction, _ string) int64 {
	return et.Milliseconds()
}

func (fn *readFn) CreateWatermarkEstimator(state int64) *watermarks.Estimator {
	dataTime := fn.TimestampField != "" || fn.TimestampAttribute != ""
	return watermarks.NewEstimator(state, time.Duration(fn.WatermarkLagMs)*time.Millisecond, dataTime, fn.StopAfterIdleMs > 0)
}

func (fn *readFn) WatermarkEstimatorState(we *watermarks.Estimator) int64 { return we.State() }

func (fn *readFn) ProcessElement(ctx context.Context, we *watermarks.Estimator, rt *readTracker,
	_ string, emit func(beam.EventTime, events.RawBatch)) (sdf.ProcessContinuation, error) {
	if rt.IsDone() {
		return sdf.StopProcessing(), nil
	}
	rest := rt.GetRestriction().(readRestriction)
	// The runner resumes a restriction only after it committed the bundle
	// that checkpointed it, so every held message may be acknowledged.
	held := fn.settle(ctx, rest.Held, time.Now())
	rt.setHeld(held)
	if drain.Requested() && !rest.Finishing {
		// A clean stop: pull no more; the resumed read acknowledges what
		// committed bundles emitted, then ends.
		rt.finishing()
		return fn.checkpoint(ctx, rt), nil
	}
	if rest.Finishing {
		if len(held) == 0 {
			rt.stop()
			return sdf.StopProcessing(), nil
		}
		return sdf.ResumeProcessingIn(fn.nextDue(held, time.Now())), nil
	}
	active := rest.ActiveMs
	if active == 0 {
		active = time.Now().UnixMilli()
		rt.setActive(active)
	}

	emitted, untimed := 0, 0
	defer func() {
		counters.Count(ctx, emitted, untimed, we)
		publishWatermark(fn.subName, we.State(), rt.IsDone())
	}()
	deadline := time.Now().Add(time.Duration(fn.BatchMs) * time.Millisecond)
	for {
		ids, total := rt.claimed()
		if fn.MaxMessages > 0 && total >= fn.MaxMessages {
			rt.finishing()
			break
		}
		want := fn.BatchMessages - len(ids)
		if fn.MaxMessages > 0 {
			want = min(want, int(fn.MaxMessages-total))
		}
		if want <= 0 || time.Now().After(deadline) {
			break
		}
		start := time.Now()
		asked := min(want, maxPull)
		msgs, err := fn.pull(ctx, asked, pullWait)
		if err != nil {
			if isPermanent(err) || ctx.Err() != nil {
				return sdf.StopProcessing(), fmt.Errorf("pubsubio.Read %s: %w", fn.subName, err)
			}
			// Transient: pull again after IdleMs. An outage is not idle
			// time, so a bounded read does not end because of it.
			fn.warnf(ctx, "pull failed, retrying: %v", err)
			rt.setActive(time.Now().UnixMilli())
			break
		}
		if len(msgs) == 0 {
			now := time.Now()
			we.Idle(now)
			if fn.StopAfterIdleMs > 0 && now.UnixMilli()-active >= fn.StopAfterIdleMs {
				rt.finishing()
			}
			break
		}
		nowMs := time.Now().UnixMilli()
		active = start.UnixMilli()
		rt.setActive(active)
		// Stamped before the claims, so that a residual split off among
		// them knows their age and deadline.
		rt.pulled(start.UnixMilli(), start.Add(minAckDeadline).UnixMilli())
		batch := events.RawBatch{Prefix: fn.prefix}
		for i, m := range msgs {
			if !rt.TryClaim(m.GetAckId()) {
				// The runner checkpointed the read while it pulled: these
				// messages are not this bundle's to emit. Hand them back.
				fn.nack(ctx, msgs[i:])
				break
			}
			if !fn.add(&batch, m.GetMessage(), nowMs, we) {
				untimed++
			}
		}
		if batch.Len() > 0 {
			emit(mtime.FromMilliseconds(batch.Earliest()), batch)
			emitted += batch.Len()
		}
		if batch.Len() < len(msgs) {
			return sdf.StopProcessing(), nil
		}
		if len(msgs) < asked {
			// Caught up for now: hand this batch downstream rather than
			// wait in another pull.
			break
		}
	}
	return fn.checkpoint(ctx, rt), nil
}

// checkpoint leases the messages this call emitted until the resumed read
// can acknowledge them, and asks to be resumed: at once after a busy call
// or at the end, after IdleMs when the subscription was quiet.
func (fn *readFn) checkpoint(ctx context.Context, rt *readTracker) sdf.ProcessContinuation {
	ids, _ := rt.claimed()
	if len(ids) > 0 {
		if err := fn.modifyDeadline(ctx, ids, ackExtension); err != nil {
			fn.warnf(ctx, "extending the ack deadline of %d message(s), which may be redelivered: %v", len(ids), err)
		} else {
			rt.extended(time.Now().Add(ackExtension).UnixMilli())
		}
		return sdf.ResumeProcessingIn(0)
	}
	if rt.isFinishing() {
		return sdf.ResumeProcessingIn(0)
	}
	return sdf.ResumeProcessingIn(time.Duration(fn.IdleMs) * time.Millisecond)
}

// pull asks for up to n messages, waiting at most wait for them. A pull cut
// short by wait returns nothing, without error.
func (fn *readFn) pull(ctx context.Context, n int, wait time.Duration) ([]*pubsubpb.ReceivedMessage, error) {
	pctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	resp, err := fn.sub.Pull(pctx, &pubsubpb.PullRequest{Subscription: fn.subName, MaxMessages: int32(n)})
	if err != nil {
		if ctx.Err() == nil && (pctx.Err() != nil || errors.Is(err, context.DeadlineExceeded)) {
			return nil, nil
		}
		return nil, err
	}
	return resp.GetReceivedMessages(), nil
}

// nack hands messages back to Pub/Sub for redelivery at once.
func (fn *readFn) nack(ctx context.Context, msgs []*pubsubpb.ReceivedMessage) {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.GetAckId()
	}
	if err := fn.modifyDeadline(ctx, ids, 0); err != nil {
		fn.warnf(ctx, "handing back %d message(s), which will be redelivered later: %v", len(ids), err)
	}
}

// add appends message m to b, and reports whether its event time may move
// the watermark (then observed): the time in TimestampField or
// TimestampAttribute when it reads, else the publish time.
func (fn *readFn) add(b *events.RawBatch, m *pubsubpb.PubsubMessage, nowMs int64, we *watermarks.Estimator) (timed bool) {
	data, problem := m.GetData(), ""
	size := int64(len(data))
	ms := m.GetPublishTime().AsTime().UnixMilli()
	timed = true
	switch {
	case fn.TimestampField != "":
		if t, ok := fn.times.FieldTime(data, fn.TimestampField); ok {
			ms = t
		} else {
			timed = false
		}
	case fn.TimestampAttribute != "":
		t, err := attributeTime(m.GetAttributes(), fn.TimestampAttribute)
		if err != nil {
			problem, timed = err.Error(), false
		} else {
			ms = t
		}
	}
	if len(data) > events.MaxRecordBytes {
		data = append([]byte(nil), data[:events.MaxDeadLetterRaw]...)
		problem = fmt.Sprintf("message is %d bytes, over the %d-byte limit", size, events.MaxRecordBytes)
	}
	if timed {
		we.Observe(ms, nowMs)
	}
	b.AddID(m.GetMessageId(), ms, data, size, problem)
	return timed
}

// attributeTime reads an event time from attribute name: Unix milliseconds
// or RFC 3339, as Beam's Java PubsubIO accepts.
func attributeTime(attrs map[string]string, name string) (int64, error) {
	v, ok := attrs[name]
	if !ok {
		return 0, fmt.Errorf("no timestamp attribute %q", name)
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if ms, perr := strconv.ParseInt(v, 10, 64); perr == nil {
		t, err = time.UnixMilli(ms), nil
	}
	if err != nil || t.Year() < 1 || t.Year() > 9999 {
		return 0, fmt.Errorf("timestamp attribute %q is %q: want Unix milliseconds or RFC 3339, within years 1-9999", name, v)
	}
	return t.UnixMilli(), nil
}
