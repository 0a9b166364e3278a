package endpoint

import (
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/transforms/kafkaio"
)

// KafkaSettings are the Kafka options beyond brokers and topic.
type KafkaSettings struct {
	// Start is where an input read begins. Default kafkaio.Earliest.
	Start kafkaio.StartPosition
	// StartTimeMs is the timestamp to start at with kafkaio.AtTime (as
	// Start or ResetTo).
	StartTimeMs int64
	// ResetTo is where a partition without a committed offset starts when
	// Start is kafkaio.Committed. Default kafkaio.Earliest.
	ResetTo kafkaio.StartPosition
	// CommitOnStop commits the group's offsets only at a clean stop
	// (kafkaio.ReadOptions.CommitOnStop). Default false.
	CommitOnStop bool
	// Bounded reads up to the end offsets seen at start, then finishes.
	Bounded bool
	// Group is the consumer group offsets are committed to. Default
	// "beamlens".
	Group string
	// KeyField keys output records by this JSON field. Default none.
	KeyField string
	// Compression is the output's record batch codec
	// (kafkaio.WriteOptions.Compression). Default "none".
	Compression string
	// TimestampField is the record field read as event time and for the
	// watermark (kafkaio.ReadOptions.TimestampField). Default "": the Kafka
	// record timestamp.
	TimestampField string
	// SASL and TLS secure the connections (passwords from the environment
	// or a file, never here).
	SASL kafkaio.SASL
	TLS  kafkaio.TLS
}

// Bounded reports whether reading u ends by itself: files always do, Kafka
// and Pub/Sub only with a bounded read.
func (u URI) Bounded() bool {
	switch u.Kind {
	case File:
		return true
	case Kafka:
		return u.Kafka.Bounded
	case PubSub:
		return u.PubSub.Bounded
	}
	return false
}

// StreamTopic is the topic the named stream goes to at a Kafka or Pub/Sub
// output.
func (u URI) StreamTopic(stream string) string {
	if t, ok := u.StreamTopics[stream]; ok && t != "" {
		return t
	}
	return u.Topic + "." + stream
}

// kafkaReadOptions are the read options a kafka:// input URI says.
func kafkaReadOptions(u URI) kafkaio.ReadOptions {
	k := u.Kafka
	opts := kafkaio.ReadOptions{Brokers: u.Brokers, Topic: u.Topic, Group: k.Group, Start: k.Start,
		ResetTo: k.ResetTo, CommitOnStop: k.CommitOnStop,
		Bounded: k.Bounded, SASL: k.SASL, TLS: k.TLS, TimestampField: k.TimestampField}
	if k.Start == kafkaio.AtTime || k.ResetTo == kafkaio.AtTime {
		opts.StartTime = timeFromMs(k.StartTimeMs)
	}
	return opts
}

func writeKafka(s beam.Scope, u URI, stream string, lines beam.PCollection) {
	kafkaio.Write(s, kafkaio.WriteOptions{Brokers: u.Brokers, Topic: u.StreamTopic(stream),
		KeyField: u.Kafka.KeyField, Compression: u.Kafka.Compression, AllowAutoTopicCreation: true,
		SASL: u.Kafka.SASL, TLS: u.Kafka.TLS}, lines)
}

func timeFromMs(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
