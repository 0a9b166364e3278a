package pubsubio

import (
	"cmp"
	"fmt"
	"strings"
	"time"
)

// Defaults of the options. The zero value of every option means its default.
const (
	DefaultBatchMessages  = 1000
	DefaultBatchDuration  = time.Second
	DefaultIdleDelay      = 500 * time.Millisecond
	DefaultWatermarkLag   = 2 * time.Second
	DefaultPublishBatch   = 100
	DefaultPublishBytes   = 1_000_000
	DefaultPublishDelay   = 10 * time.Millisecond
	DefaultPublishTimeout = time.Minute
)

// ReadOptions configures Read. The zero value of every field is its
// default; Project and Subscription are required.
type ReadOptions struct {
	// Project is the Google Cloud project ID of the subscription. Required.
	Project string
	// Subscription is the subscription ID (S in
	// projects/P/subscriptions/S). It must exist. Required.
	Subscription string
	// TimestampField names a top-level JSON field of the message data
	// holding its event time (RFC 3339, or a number of Unix milliseconds),
	// used for the element timestamp and the watermark instead of the
	// publish time, as kafkaio's ReadOptions.TimestampField does: a message
	// without a readable one keeps its publish time as its element time
	// (the decoder downstream judges it) but does not move the watermark.
	// Not with TimestampAttribute. Default "": see TimestampAttribute.
	TimestampField string
	// TimestampAttribute names the message attribute holding each
	// message's event time, as Unix milliseconds or RFC 3339. A message
	// without it, or whose value is neither, becomes a dead letter (it is
	// emitted with a Problem, at its publish time) and does not move the
	// watermark. Default "" (and no TimestampField): the event time is the
	// publish time.
	//
	// With TimestampField or TimestampAttribute, a quiet subscription moves
	// its watermark to the clock only while its messages are live (the
	// newest under a minute old), so that a replay of old messages keeps
	// its event-time order. Whatever the source of event times, one more
	// than watermarks.ClockTolerance (1s) ahead of the wall clock does not
	// move the watermark: the watermark never passes the clock.
	TimestampAttribute string
	// MaxMessages, when positive, ends the read after that many messages
	// (redeliveries count), waiting for messages published later if need
	// be. Default 0: no limit.
	MaxMessages int64
	// StopAfterIdle, when positive, ends the read once no message has
	// arrived for that long: a backfill that drains a subscription's
	// backlog. A pull that fails does not count as idle time. With
	// MaxMessages the earlier end wins. Such a backfill holds its
	// watermark until it ends, as a bounded source does in Beam: Pub/Sub
	// delivers a backlog in no particular order, and event-time windows
	// firing at the end see every message. Default 0: never.
	StopAfterIdle time.Duration
	// BatchMessages is how many messages the read takes before it
	// checkpoints, so that the bundle finishes, its output moves
	// downstream and its messages can be acknowledged. Default 1,000.
	BatchMessages int
	// BatchDuration is how long the read pulls before it checkpoints (a
	// pull under way then finishes, within a second). Default 1s.
	BatchDuration time.Duration
	// IdleDelay is how long the read waits after a pull that returned
	// nothing before it pulls again. It bounds the latency of a message
	// that arrives on a quiet subscription, and of the acknowledgement of
	// the last messages before a quiet spell. Default 500ms.
	IdleDelay time.Duration
	// WatermarkLag is how far the watermark trails the newest event time
	// read and, after a pull that returned nothing, the wall clock. A
	// message whose event time is older than that when it is read may be
	// late downstream: Pub/Sub delivers in no particular order, and
	// redeliveries come late. Default 2s.
	WatermarkLag time.Duration
	// AckDelay holds back the acknowledgement of messages for at least
	// this long after the bundle that emitted them was committed,
	// extending their ack deadlines meanwhile. On Flink with
	// checkpointing, set it above the checkpoint interval plus the time a
	// checkpoint takes, so that a message is acknowledged only once a
	// checkpoint holds its effects (see the package doc). Held messages
	// travel in the read's checkpointed restriction, so it grows with the
	// message rate times AckDelay. Default 0: acknowledge at the first
	// resume after the commit.
	AckDelay time.Duration
}

// WriteOptions configures Write. The zero value of every field is its
// default; Project and Topic are required.
type WriteOptions struct {
	// Project is the Google Cloud project ID of the topic. Required.
	Project string
	// Topic is the topic ID (T in projects/P/topics/T). Required; it must
	// exist unless CreateTopic is set.
	Topic string
	// CreateTopic creates the topic, with default settings, when it does
	// not exist (it needs the pubsub.topics.create permission). Messages
	// published to a topic without subscriptions are dropped by Pub/Sub:
	// create the subscriptions first. Default false.
	CreateTopic bool
	// OrderingKeyField names a top-level JSON string field whose value
	// becomes the message's ordering key (e.g. "device_id"), so that a
	// subscription with message ordering delivers the messages of one key
	// in the order they were published. A message without that field, or
	// where it is not a string, gets no ordering key. Ordering needs the
	// publisher and subscribers to use the same region. Default "": no
	// ordering keys.
	OrderingKeyField string
	// Attributes are added to every message. Default none.
	Attributes map[string]string
	// BatchMessages is how many messages one publish request carries at
	// most. Default 100 (the client library's), at most 1,000.
	BatchMessages int
	// BatchBytes is how many bytes of messages one publish request carries
	// at most. Default 1,000,000 (the client library's); Pub/Sub allows up
	// to 10 MB.
	BatchBytes int
	// BatchDelay is how long a message waits for its batch to fill before
	// the batch is sent anyway. Default 10ms (the client library's).
	BatchDelay time.Duration
	// PublishTimeout is how long a batch may take to be published, the
	// client library's retries of transient errors included, before the
	// bundle fails. Default 1m.
	PublishTimeout time.Duration
}

func (o ReadOptions) withDefaults() ReadOptions {
	o.BatchMessages = cmp.Or(o.BatchMessages, DefaultBatchMessages)
	o.BatchDuration = cmp.Or(o.BatchDuration, DefaultBatchDuration)
	o.IdleDelay = cmp.Or(o.IdleDelay, DefaultIdleDelay)
	o.WatermarkLag = cmp.Or(o.WatermarkLag, DefaultWatermarkLag)
	return o
}

// validate returns what is wrong with o, which has its defaults applied.
func (o ReadOptions) validate() error {
	if err := validateProject(o.Project); err != nil {
		return err
	}
	if err := validateID("Subscription", o.Subscription); err != nil {
		return err
	}
	switch {
	case o.TimestampField != "" && o.TimestampAttribute != "":
		return fmt.Errorf("TimestampField and TimestampAttribute are exclusive: the event time comes from one place")
	case o.MaxMessages < 0:
		return fmt.Errorf("MaxMessages %d is negative", o.MaxMessages)
	case o.BatchMessages < 0:
		return fmt.Errorf("BatchMessages %d is negative", o.BatchMessages)
	case o.StopAfterIdle < 0, o.BatchDuration < 0, o.IdleDelay < 0, o.WatermarkLag < 0, o.AckDelay < 0:
		return fmt.Errorf("StopAfterIdle, BatchDuration, IdleDelay, WatermarkLag and AckDelay must not be negative")
	case o.AckDelay > maxAckDelay:
		return fmt.Errorf("AckDelay %v is over %v", o.AckDelay, maxAckDelay)
	}
	return nil
}

func (o WriteOptions) withDefaults() WriteOptions {
	o.BatchMessages = cmp.Or(o.BatchMessages, DefaultPublishBatch)
	o.BatchBytes = cmp.Or(o.BatchBytes, DefaultPublishBytes)
	o.BatchDelay = cmp.Or(o.BatchDelay, DefaultPublishDelay)
	o.PublishTimeout = cmp.Or(o.PublishTimeout, DefaultPublishTimeout)
	return o
}

func (o WriteOptions) validate() error {
	if err := validateProject(o.Project); err != nil {
		return err
	}
	if err := validateID("Topic", o.Topic); err != nil {
		return err
	}
	switch {
	case o.BatchMessages < 0 || o.BatchMessages > 1000:
		return fmt.Errorf("BatchMessages %d is not within 1-1000", o.BatchMessages)
	case o.BatchBytes < 0 || o.BatchBytes > 10_000_000:
		return fmt.Errorf("BatchBytes %d is not within 1-10,000,000", o.BatchBytes)
	case o.BatchDelay < 0, o.PublishTimeout < 0:
		return fmt.Errorf("BatchDelay and PublishTimeout must not be negative")
	}
	for k := range o.Attributes {
		if k == "" || strings.HasPrefix(k, "goog") {
			return fmt.Errorf("Attributes: bad name %q (empty, or starting with the reserved goog)", k)
		}
	}
	return nil
}

func validateProject(p string) error {
	if p == "" {
		return fmt.Errorf("no Project")
	}
	if strings.ContainsAny(p, "/ ") {
		return fmt.Errorf("Project %q is not a project ID", p)
	}
	return nil
}

// CheckID reports whether id is a valid Pub/Sub topic or subscription ID,
// so that a command line can refuse a bad name before building a pipeline.
func CheckID(id string) error { return validateID("ID", id) }

// validateID applies Pub/Sub's rule for topic and subscription IDs: 3-255
// characters of [A-Za-z0-9-_.~+%], starting with a letter, not with "goog".
func validateID(what, id string) error {
	if id == "" {
		return fmt.Errorf("no %s", what)
	}
	if len(id) < 3 || len(id) > 255 || strings.HasPrefix(id, "goog") ||
		!(id[0] >= 'a' && id[0] <= 'z' || id[0] >= 'A' && id[0] <= 'Z') {
		return fmt.Errorf("%s %q is not a valid Pub/Sub ID (3-255 characters, starting with a letter, not with goog)", what, id)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.~+%", c)) {
			return fmt.Errorf("%s %q is not a valid Pub/Sub ID (want [A-Za-z0-9-_.~+%%])", what, id)
		}
	}
	return nil
}
