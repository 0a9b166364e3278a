package pubsubio

import (
	"context"
	"errors"
	"fmt"
	"github.com/beamlens/beamlens/internal/stageout"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fastjson"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func init() {
	register.DoFn4x1[context.Context, beam.EventTime, []byte, func([]byte), error](&writeFn{})
}

// ErrPublish wraps every failure to publish a message: the bundle fails
// and the runner retries it (prism fails the job instead).
var ErrPublish = errors.New("publish failed")

var (
	publishCounter = beam.NewCounter(metrics.Namespace, "pubsub_messages_published")
	bundleTime     = metrics.BundleDuration.WithLabelValues("pubsubio.Write")
)

// Write publishes every element of a PCollection<[]byte>, one JSON record
// each, as one message of opts.Topic, with opts.Attributes and, when
// opts.OrderingKeyField is set, an ordering key. The client library batches
// the messages (opts.Batch*) and retries transient errors for up to
// opts.PublishTimeout; a bundle completes only when Pub/Sub has accepted
// every message it published, and a message that cannot be published fails
// the bundle, so the runner retries it: delivery is at least once (a
// retried bundle publishes again the messages that had gone through), never
// a silent drop. An element must not be modified once emitted (Beam's
// rule), since it is sent as is.
//
// Write panics when opts are invalid.
func Write(s beam.Scope, opts WriteOptions, col beam.PCollection) {
	s = s.Scope("pubsubio.Write")
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		panic(fmt.Sprintf("pubsubio.Write: %v", err))
	}
	stageout.Discard(s, beam.ParDo(s, &writeFn{
		Project:          opts.Project,
		Topic:            opts.Topic,
		CreateTopic:      opts.CreateTopic,
		OrderingKeyField: opts.OrderingKeyField,
		Attributes:       opts.Attributes,
		BatchMessages:    opts.BatchMessages,
		BatchBytes:       opts.BatchBytes,
		BatchDelayMs:     opts.BatchDelay.Milliseconds(),
		PublishTimeoutMs: opts.PublishTimeout.Milliseconds(),
	}, col))
}

func topicName(project, id string) string { return "projects/" + project + "/topics/" + id }

// writeFn publishes asynchronously and waits for the outcomes in
// FinishBundle.
type writeFn struct {
	Project          string
	Topic            string
	CreateTopic      bool
	OrderingKeyField string
	Attributes       map[string]string
	BatchMessages    int
	BatchBytes       int
	BatchDelayMs     int64
	PublishTimeoutMs int64

	client  *pubsub.Client
	pub     *pubsub.Publisher
	parser  fastjson.Parser
	results []*pubsub.PublishResult
	keys    map[string]bool // ordering keys of the bundle
	// started is when the bundle started; eventMs the event times of its
	// messages, observed as event-to-output latency once accepted.
	started time.Time
	eventMs []int64
	latency prometheus.Observer
}

// Setup connects and, with CreateTopic, makes sure the topic exists. The
// client library finds the credentials and honours PUBSUB_EMULATOR_HOST.
func (fn *writeFn) Setup(ctx context.Context) error {
	c, err := pubsub.NewClient(ctx, fn.Project)
	if err != nil {
		return fmt.Errorf("pubsubio.Write: %w", err)
	}
	fn.client = c
	name := topicName(fn.Project, fn.Topic)
	if fn.CreateTopic {
		if err := ensureTopic(ctx, c, name); err != nil {
			return fmt.Errorf("pubsubio.Write %s: %w", name, err)
		}
	}
	fn.pub = c.Publisher(name)
	fn.pub.PublishSettings.CountThreshold = fn.BatchMessages
	fn.pub.PublishSettings.ByteThreshold = fn.BatchBytes
	fn.pub.PublishSettings.DelayThreshold = time.Duration(fn.BatchDelayMs) * time.Millisecond
	fn.pub.PublishSettings.Timeout = time.Duration(fn.PublishTimeoutMs) * time.Millisecond
	// Block rather than buffer without limit: a large bundle waits for
	// Pub/Sub instead of holding all its messages in memory.
	fn.pub.PublishSettings.FlowControlSettings = pubsub.FlowControlSettings{
		MaxOutstandingMessages: 10 * fn.BatchMessages,
		MaxOutstandingBytes:    10 * fn.BatchBytes,
		LimitExceededBehavior:  pubsub.FlowControlBlock,
	}
	fn.pub.EnableMessageOrdering = fn.OrderingKeyField != ""
	fn.latency = metrics.EventToOutput.WithLabelValues(fn.Topic)
	return nil
}

// ensureTopic creates the topic name unless it exists. A caller allowed to
// publish but not to look topics up goes on: publishing will tell.
func ensureTopic(ctx context.Context, c *pubsub.Client, name string) error {
	ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	_, err := c.TopicAdminClient.GetTopic(ctx, &pubsubpb.GetTopicRequest{Topic: name})
	switch status.Code(err) {
	case codes.OK, codes.PermissionDenied:
		return nil
	case codes.NotFound:
	default:
		return err
	}
	_, err = c.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: name})
	if status.Code(err) == codes.AlreadyExists {
		return nil // another worker was faster
	}
	return err
}

func (fn *writeFn) StartBundle(func([]byte)) {
	fn.results = fn.results[:0]
	fn.started, fn.eventMs = time.Now(), fn.eventMs[:0]
	clear(fn.keys)
}

// The emitter is never called: it gives the sink an output for
// stageout.Discard.
func (fn *writeFn) ProcessElement(ctx context.Context, et beam.EventTime, line []byte, _ func([]byte)) error {
	msg := &pubsub.Message{Data: line, Attributes: fn.Attributes}
	if fn.OrderingKeyField != "" {
		msg.OrderingKey = fn.orderingKey(line)
		if msg.OrderingKey != "" {
			if fn.keys == nil {
				fn.keys = make(map[string]bool)
			}
			fn.keys[msg.OrderingKey] = true
		}
	}
	fn.results = append(fn.results, fn.pub.Publish(ctx, msg))
	fn.eventMs = append(fn.eventMs, int64(et))
	return nil
}

// FinishBundle waits until Pub/Sub has accepted or refused every message
// of the bundle, and fails the bundle if it refused any.
func (fn *writeFn) FinishBundle(ctx context.Context, _ func([]byte)) error {
	var failed, published int
	var first error
	for _, r := range fn.results {
		if _, err := r.Get(ctx); err != nil {
			failed++
			if first == nil {
				first = err
			}
			continue
		}
		published++
	}
	fn.results = fn.results[:0]
	publishCounter.Inc(ctx, int64(published))
	metrics.RecordsWritten.Add(float64(published))
	if failed == 0 {
		now := time.Now()
		for _, ms := range fn.eventMs {
			metrics.ObserveEventTime(fn.latency, ms, now)
		}
		metrics.Since(bundleTime, fn.started)
		return nil
	}
	// A failure pauses its ordering key; the retried bundle needs it back.
	for k := range fn.keys {
		fn.pub.ResumePublish(k)
	}
	return fmt.Errorf("pubsubio.Write %s: %w: %d of %d message(s) failed, the first with: %v",
		topicName(fn.Project, fn.Topic), ErrPublish, failed, failed+published, first)
}

func (fn *writeFn) Teardown() {
	if fn.pub != nil {
		fn.pub.Stop()
		fn.pub = nil
	}
	if fn.client != nil {
		fn.client.Close()
		fn.client = nil
	}
}

// orderingKey returns the value of the top-level string field
// OrderingKeyField of line, or "" (no key) when line is not a JSON object
// or the field is missing or not a string.
func (fn *writeFn) orderingKey(line []byte) string {
	v, err := fn.parser.ParseBytes(line)
	if err != nil {
		return ""
	}
	f := v.Get(fn.OrderingKeyField)
	if f == nil || f.Type() != fastjson.TypeString {
		return ""
	}
	b, _ := f.StringBytes()
	return string(b) // a copy: the parser reuses its buffers
}
