package kafkaio

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"github.com/beamlens/beamlens/internal/stageout"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fastjson"
)

func init() {
	register.DoFn4x1[context.Context, beam.EventTime, []byte, func([]byte), error](&writeFn{})
}

var (
	writeCounter = beam.NewCounter(metrics.Namespace, "kafka_records_written")
	bundleTime   = metrics.BundleDuration.WithLabelValues("kafkaio.Write")
)

// Write writes every element of a PCollection<[]byte> as records of
// opts.Topic, one record per line: an element is one JSON record, or a
// block of them, one per line (JSON Lines, windowstats.MergePartialsJSON),
// so that a stream of hundreds of thousands of small records need not
// cross the runner one element each. Each record is keyed by
// opts.KeyField when set. The
// producer is idempotent and waits for all in-sync replicas (acks=all); a
// bundle completes only when every record it produced is acknowledged, and
// a record that cannot be produced fails the bundle, so the runner retries
// it: delivery is at least once, never a silent drop. An element must not
// be modified once emitted (Beam's rule), since it is sent as is.
//
// Write panics when opts are invalid.
func Write(s beam.Scope, opts WriteOptions, col beam.PCollection) {
	s = s.Scope("kafkaio.Write")
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		panic(fmt.Sprintf("kafkaio.Write: %v", err))
	}
	var headers []header
	for k, v := range opts.Headers {
		headers = append(headers, header{Key: k, Value: v})
	}
	slices.SortFunc(headers, func(a, b header) int { return cmp.Compare(a.Key, b.Key) })
	stageout.Discard(s, beam.ParDo(s, &writeFn{
		Conn:              connConfig{Brokers: opts.Brokers, ClientID: opts.ClientID, SASL: opts.SASL, TLS: opts.TLS},
		Topic:             opts.Topic,
		KeyField:          opts.KeyField,
		Headers:           headers,
		DeliveryTimeoutMs: opts.DeliveryTimeout.Milliseconds(),
		Compression:       opts.Compression,
		AutoCreate:        opts.AllowAutoTopicCreation,
	}, col))
}

type header struct {
	Key, Value string
}

// writeFn produces asynchronously and waits for the acknowledgements in
// FinishBundle.
type writeFn struct {
	Conn              connConfig
	Topic             string
	KeyField          string
	Headers           []header
	DeliveryTimeoutMs int64
	Compression       string
	AutoCreate        bool

	opts    []kgo.Opt
	client  *kgo.Client
	headers []kgo.RecordHeader
	parser  fastjson.Parser
	// keyPrefix is `{"KeyField":"`, the start of a record key takes
	// without a parse.
	keyPrefix []byte
	acks      *bundleAcks
	// started is when the bundle started; eventMs the event times of its
	// records, observed as event-to-output latency once acknowledged.
	started time.Time
	eventMs []int64
	latency prometheus.Observer
}

// bundleAcks gathers the outcome of one bundle's records. Each bundle has
// its own, so that a record of an abandoned bundle, acknowledged late,
// cannot fail the next one.
type bundleAcks struct {
	mu       sync.Mutex
	err      error // the first failure
	failed   int
	produced int64
	done     func(*kgo.Record, error)
}

func newBundleAcks() *bundleAcks {
	a := &bundleAcks{}
	a.done = func(_ *kgo.Record, err error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		if err != nil {
			a.failed++
			if a.err == nil {
				a.err = err
			}
			return
		}
		a.produced++
	}
	return a
}

// result returns the records produced and the bundle's error, if any.
func (a *bundleAcks) result(topic string) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err == nil {
		return a.produced, nil
	}
	return a.produced, fmt.Errorf("kafkaio.Write %s: %w: %d record(s) failed, the first with: %v", topic, ErrProduce, a.failed, a.err)
}

func (fn *writeFn) Setup() error {
	opts, err := fn.Conn.kgoOpts()
	if err != nil {
		return fmt.Errorf("kafkaio.Write: %w", err)
	}
	codec, err := compressionCodec(cmp.Or(fn.Compression, DefaultCompression))
	if err != nil {
		return fmt.Errorf("kafkaio.Write: %w", err)
	}
	fn.opts = append(opts,
		kgo.ProducerBatchCompression(codec),
		kgo.DefaultProduceTopic(fn.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), // also kgo's default, and needed by idempotence
		kgo.RecordDeliveryTimeout(time.Duration(fn.DeliveryTimeoutMs)*time.Millisecond),
	)
	if fn.AutoCreate {
		// A topic the broker creates on the first produce has no leader
		// for a moment, and kgo refreshes its metadata at most every
		// MetadataMinAge (5s by default): 5 of 8 fresh topics here waited
		// ~4.7s for their first acknowledgement, a bundle stalled with
		// them; at 250ms none of 8 did.
		fn.opts = append(fn.opts, kgo.AllowAutoTopicCreation(), kgo.MetadataMinAge(250*time.Millisecond))
	}
	for _, h := range fn.Headers {
		fn.headers = append(fn.headers, kgo.RecordHeader{Key: h.Key, Value: []byte(h.Value)})
	}
	fn.latency = metrics.EventToOutput.WithLabelValues(fn.Topic)
	return nil
}

func (fn *writeFn) StartBundle(context.Context, func([]byte)) error {
	if fn.acks != nil {
		// The last bundle failed in ProcessElement, without FinishBundle:
		// start afresh rather than with its records still in flight.
		fn.closeClient()
	}
	fn.acks = newBundleAcks()
	fn.started, fn.eventMs = time.Now(), fn.eventMs[:0]
	if fn.client == nil {
		cl, err := kgo.NewClient(fn.opts...)
		if err != nil {
			return fmt.Errorf("kafkaio.Write: %w", err)
		}
		fn.client = cl
	}
	return nil
}

// The emitter is never called: it gives the sink an output for
// stageout.Discard.
func (fn *writeFn) ProcessElement(ctx context.Context, et beam.EventTime, rec []byte, _ func([]byte)) error {
	// Fail fast: once a record failed the bundle will be retried anyway.
	if _, err := fn.acks.result(fn.Topic); err != nil {
		return err
	}
	for len(rec) > 0 {
		line := rec
		if i := bytes.IndexByte(rec, '\n'); i >= 0 {
			line, rec = rec[:i], rec[i+1:]
		} else {
			rec = nil
		}
		if len(line) == 0 {
			continue
		}
		r := &kgo.Record{Value: line, Key: fn.key(line), Headers: fn.headers}
		fn.client.Produce(ctx, r, fn.acks.done)
		fn.eventMs = append(fn.eventMs, int64(et))
	}
	return nil
}

// FinishBundle waits until every record of the bundle is acknowledged.
func (fn *writeFn) FinishBundle(ctx context.Context, _ func([]byte)) error {
	acks := fn.acks
	fn.acks = nil
	if err := fn.client.Flush(ctx); err != nil {
		fn.closeClient()
		return fmt.Errorf("kafkaio.Write %s: %w: %v", fn.Topic, ErrProduce, err)
	}
	produced, err := acks.result(fn.Topic)
	writeCounter.Inc(ctx, produced)
	metrics.RecordsWritten.Add(float64(produced))
	if err != nil {
		// Retry with a fresh producer rather than one whose partitions
		// just failed.
		fn.closeClient()
		return err
	}
	now := time.Now()
	for _, ms := range fn.eventMs {
		metrics.ObserveEventTime(fn.latency, ms, now)
	}
	metrics.Since(bundleTime, fn.started)
	return nil
}

func (fn *writeFn) Teardown() { fn.closeClient() }

func (fn *writeFn) closeClient() {
	if fn.client != nil {
		fn.client.Close()
		fn.client = nil
	}
}

// key returns the value of the top-level string field KeyField of rec, or
// nil (no key) when there is no KeyField, rec is not a JSON object or the
// field is missing or not a string.
//
// A record that begins with the field, `{"device_id":"`, and whose value
// has no escape takes the value without a parse: beamlens's own records
// (window statistics, anomalies of flat readings) begin so, and parsing
// each of a bounded run's 400k window records for its key was ~5% of the
// Kafka path's CPU. Such a record is taken to be the JSON object it
// starts as: the first of duplicate fields is the one a parse finds too.
func (fn *writeFn) key(rec []byte) []byte {
	if fn.KeyField == "" {
		return nil
	}
	if fn.keyPrefix == nil {
		fn.keyPrefix = append(strconv.AppendQuote([]byte("{"), fn.KeyField), `:"`...)
	}
	if k, ok := leadingString(rec, fn.keyPrefix); ok {
		return k // rec is never modified once emitted, so the key may share it
	}
	v, err := fn.parser.ParseBytes(rec)
	if err != nil {
		return nil
	}
	f := v.Get(fn.KeyField)
	if f == nil || f.Type() != fastjson.TypeString {
		return nil
	}
	b, _ := f.StringBytes()
	// The parser reuses its buffers: the key must outlive the next parse.
	return append([]byte(nil), b...)
}

// leadingString returns the JSON string that follows prefix (which ends
// with its opening quote) at the start of rec, when it holds no escape and
// no control character, as a slice of rec.
func leadingString(rec, prefix []byte) ([]byte, bool) {
	if !bytes.HasPrefix(rec, prefix) {
		return nil, false
	}
	rest := rec[len(prefix):]
	for i, c := range rest {
		switch {
		case c == '"':
			return rest[:i], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}
