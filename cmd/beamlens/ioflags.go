package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/runners"
	"github.com/beamlens/beamlens/transforms/endpoint"
	"github.com/beamlens/beamlens/transforms/kafkaio"
)

// ioFlags are the flags every pipeline command shares: where records come
// from and go, how far in the future a timestamp may be, and the runner.
type ioFlags struct {
	input, output string
	maxFuture     time.Duration
	metricsAddr   string
	runner        runners.Options
	bounded       bool
	kafkaStart    string
	kafkaGroup    string
	deadLetter    string
	kafkaSecurity kafkaSecurityFlags
	kafkaTimeFrom string
	kafkaCompress string
	overwrite     bool
	pubsubTime    string // --pubsub-timestamp-field
	pubsubAttr    string // --pubsub-timestamp-attribute
	// streamTopics are the --STREAM-topic flags of the side streams
	// (bindStreamTopics), by stream name.
	streamTopics map[string]*string
}

func (f *ioFlags) bind(fs *flag.FlagSet, inputWhat, outputStreams string) {
	fs.StringVar(&f.input, "input", "", inputWhat+": a JSON Lines path or glob, kafka://HOST:PORT/TOPIC, or pubsub://projects/P/subscriptions/S (required)")
	fs.StringVar(&f.output, "output", "", "where results go: a directory ("+outputStreams+"), kafka://HOST:PORT/TOPIC or pubsub://projects/P/topics/T (the main stream to T, each other stream to T.<stream> unless its --STREAM-topic says otherwise, dead letters to T.dlq or --dead-letter; missing topics are created), or - for stdout (required)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve the job's progress in Prometheus format on http://ADDR/metrics while it runs (a loopback address, e.g. 127.0.0.1:9464); the final counters are printed either way")
	fs.DurationVar(&f.maxFuture, "max-future", events.DefaultMaxFuture, "dead-letter records timestamped further than this ahead of this machine's clock, with how far ahead the device's clock is: on a factory floor clocks agree to seconds when synchronised and drift minutes a month when not, while a clock set to the wrong time zone is hours off, and its readings would otherwise sit in windows that do not exist yet (negative: no limit, for replaying synthetic streams dated in the future); a reading more than 1s ahead never moves the watermark either way")
	fs.BoolVar(&f.bounded, "bounded", false, "kafka:// input: read up to the end offsets seen at start, then finish; pubsub:// input: read until the subscription has been idle for 5s, then finish (backfills, tests)")
	fs.StringVar(&f.kafkaStart, "kafka-start", "earliest", "kafka:// input: where to start - earliest, latest, committed (the --kafka-group's offsets) or an RFC 3339 time; a streaming read with a --kafka-group resumes from the group's committed offsets and starts here only in partitions that have none")
	fs.StringVar(&f.kafkaGroup, "kafka-group", "beamlens", "kafka:// input: consumer group that read offsets are committed to (best effort); on prism a streaming read commits when it stops cleanly (Ctrl-C, SIGTERM), so that a restart with the same group neither repeats nor skips an output; on Flink as it goes (empty: no commits, --kafka-start every time)")
	fs.StringVar(&f.deadLetter, "dead-letter", "", "kafka:// or pubsub:// output: topic for dead letters (default: <input topic>.dlq from a kafka:// input to a kafka:// output, else <output topic>.dlq)")
	fs.StringVar(&f.kafkaTimeFrom, "kafka-timestamp-field", "timestamp", "kafka:// input: the record field whose time drives the watermark, as it drives the records' event time (empty: Kafka's record timestamps); a record without a readable one never moves the watermark")
	fs.StringVar(&f.pubsubTime, "pubsub-timestamp-field", "timestamp", "pubsub:// input: the message field whose time drives the watermark, as it drives the records' event time (empty: publish times, or --pubsub-timestamp-attribute); a message without a readable one never moves the watermark")
	fs.StringVar(&f.pubsubAttr, "pubsub-timestamp-attribute", "", "pubsub:// input: take the watermark's times from this message attribute (Unix ms or RFC 3339) instead of a field; a message without it is a dead letter (needs --pubsub-timestamp-field=)")
	fs.StringVar(&f.kafkaCompress, "kafka-compression", kafkaio.DefaultCompression, "kafka:// output: codec of the produced record batches - "+strings.Join(kafkaio.Compressions, ", ")+" (none, as Kafka's own producer: compressing costs the producer and the broker CPU; lz4 or zstd for a broker across a slow or metered link)")
	f.kafkaSecurity.bind(fs)
	overwriteFlag(fs, &f.overwrite)
	runners.Bind(fs, &f.runner)
}

// kafkaStart parses --kafka-start.
func (f *ioFlags) kafkaSettings() (endpoint.KafkaSettings, error) {
	k := endpoint.KafkaSettings{Bounded: f.bounded, Group: f.kafkaGroup, TimestampField: f.kafkaTimeFrom, Compression: f.kafkaCompress}
	if !slices.Contains(kafkaio.Compressions, f.kafkaCompress) {
		return k, usagef("--kafka-compression: want one of %s, got %q", strings.Join(kafkaio.Compressions, ", "), f.kafkaCompress)
	}
	switch f.kafkaStart {
	case "earliest", "":
		k.Start = kafkaio.Earliest
	case "latest":
		k.Start = kafkaio.Latest
	case "committed":
		k.Start = kafkaio.Committed
	default:
		t, err := time.Parse(time.RFC3339Nano, f.kafkaStart)
		if err != nil {
			return k, usagef("--kafka-start: want earliest, latest, committed or an RFC 3339 time, got %q", f.kafkaStart)
		}
		k.Start, k.StartTimeMs = kafkaio.AtTime, t.UnixMilli()
	}
	if k.Start == kafkaio.Committed && k.Group == "" {
		return k, usagef("--kafka-start=committed needs --kafka-group")
	}
	if !k.Bounded && k.Group != "" {
		// A streaming read resumes where its group stopped, as a Kafka
		// consumer does; --kafka-start is where partitions the group never
		// committed to begin.
		if k.Start != kafkaio.Committed {
			k.ResetTo = k.Start
		}
		k.Start = kafkaio.Committed
		// On prism (and direct) the pipeline's state dies with the process,
		// so offsets are committed at a clean stop only: see
		// kafkaio.ReadOptions.CommitOnStop. Flink keeps its own position
		// in its checkpoints.
		k.CommitOnStop = f.runner.Runner != "flink"
	}
	return k, f.kafkaSecurity.apply(&k)
}

// endpoints validates the shared flags and parses the URIs. A usage mistake
// is a usageError (exit 2); an input that names nothing readable is a plain
// error (exit 1).
func (f *ioFlags) endpoints() (in, out endpoint.URI, err error) {
	if f.input == "" || f.output == "" {
		return in, out, usagef("--input and --output are required")
	}
	if in, err = endpoint.Parse(f.input); err != nil {
		return in, out, usagef("--input: %v", err)
	}
	if out, err = endpoint.Parse(f.output); err != nil {
		return in, out, usagef("--output: %v", err)
	}
	if err = endpoint.CheckOutput(out); err != nil {
		return in, out, usagef("--output: %v", err)
	}
	if err = f.runner.Validate(); err != nil {
		return in, out, usagef("%v", err)
	}
	if err = f.checkStreamTopics(out); err != nil {
		return in, out, err
	}
	if in.Kind == endpoint.Kafka || out.Kind == endpoint.Kafka {
		k, err := f.kafkaSettings()
		if err != nil {
			return in, out, err
		}
		in.Kafka, out.Kafka = k, k
	}
	if in.Kind == endpoint.PubSub || out.Kind == endpoint.PubSub {
		if f.pubsubTime != "" && f.pubsubAttr != "" {
			return in, out, usagef("--pubsub-timestamp-attribute needs --pubsub-timestamp-field= (empty): the event time comes from one place")
		}
		ps := endpoint.PubSubSettings{Bounded: f.bounded, TimestampField: f.pubsubTime, TimestampAttribute: f.pubsubAttr}
		in.PubSub, out.PubSub = ps, ps
		if out.Kind == endpoint.PubSub && f.deadLetter != "" {
			dl := endpoint.URI{Kind: endpoint.PubSub, Project: out.Project, Topic: f.deadLetter, Raw: f.deadLetter}
			if err = endpoint.CheckOutput(dl); err != nil {
				return in, out, usagef("--dead-letter: %v", err)
			}
		}
	}
	if err = endpoint.CheckPair(in, out); err != nil {
		return in, out, usagef("%v", err)
	}
	if err = endpoint.CheckInput(in); err != nil {
		return in, out, fmt.Errorf("--input: %w", err)
	}
	f.runner.Bounded = in.Bounded()
	return in, out, nil
}
