package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/beamlens/beamlens/pipelines/endpoint"
	"github.com/beamlens/beamlens/runners"
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
	overwrite     bool
}

func (f *ioFlags) bind(fs *flag.FlagSet, inputWhat, outputStreams string) {
	fs.StringVar(&f.input, "input", "", inputWhat+": a JSON Lines path or glob, kafka://HOST:PORT/TOPIC, or pubsub://projects/P/subscriptions/S (required)")
	fs.StringVar(&f.output, "output", "", "where results go: a directory ("+outputStreams+"), kafka://HOST:PORT/TOPIC, pubsub://projects/P/topics/T (the main stream to T, the others to T.<stream>, dead letters to T.dlq; missing topics are created), or - for stdout (required)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve the job's progress in Prometheus format on http://ADDR/metrics while it runs (a loopback address, e.g. 127.0.0.1:9464); the final counters are printed either way")
	fs.DurationVar(&f.maxFuture, "max-future", 24*time.Hour, "reject records timestamped further than this past the wall clock (negative: no limit)")
	fs.BoolVar(&f.bounded, "bounded", false, "kafka:// input: read up to the end offsets seen at start, then finish; pubsub:// input: read until the subscription has been idle for 5s, then finish (backfills, tests)")
	fs.StringVar(&f.kafkaStart, "kafka-start", "earliest", "kafka:// input: where to start - earliest, latest, committed (the --kafka-group's offsets) or an RFC 3339 time")
	fs.StringVar(&f.kafkaGroup, "kafka-group", "beamlens", "kafka:// input: consumer group that read offsets are committed to (best effort, for lag monitoring and --kafka-start=committed)")
	fs.StringVar(&f.deadLetter, "dead-letter", "", "kafka:// or pubsub:// output: topic for dead letters (default: <input topic>.dlq for a kafka:// input, else <output topic>.dlq)")
	fs.StringVar(&f.kafkaTimeFrom, "kafka-timestamp-field", "timestamp", "kafka:// input: the record field whose time drives the watermark, as it drives the records' event time (empty: Kafka's record timestamps)")
	f.kafkaSecurity.bind(fs)
	overwriteFlag(fs, &f.overwrite)
	runners.Bind(fs, &f.runner)
}

// kafkaStart parses --kafka-start.
func (f *ioFlags) kafkaSettings() (endpoint.KafkaSettings, error) {
	k := endpoint.KafkaSettings{Bounded: f.bounded, Group: f.kafkaGroup, TimestampField: f.kafkaTimeFrom}
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
	return k, f.kafkaSecurity.apply(&k)
}

// routeStreams names the Kafka or Pub/Sub topic of each output stream:
// main goes to the output URI's topic; dead letters to --dead-letter, else
// the Kafka input topic's .dlq, else the output topic's; the others to the
// article's topics on Kafka, to T.<stream> on Pub/Sub.
func (f *ioFlags) routeStreams(in endpoint.URI, out *endpoint.URI, main, dead string, others map[string]string) {
	if out.Kind == endpoint.PubSub {
		// No article defaults to follow here: each other stream goes to
		// T.<stream> (StreamTopic's rule), dead letters to T.dlq, so that
		// the pipelines of one project stay apart by their output topic.
		out.StreamTopics = map[string]string{main: out.Topic, dead: out.Topic + ".dlq"}
		if f.deadLetter != "" {
			out.StreamTopics[dead] = f.deadLetter
		}
		return
	}
	if out.Kind != endpoint.Kafka {
		return
	}
	out.StreamTopics = map[string]string{main: out.Topic}
	for stream, topic := range others {
		out.StreamTopics[stream] = topic
	}
	switch {
	case f.deadLetter != "":
		out.StreamTopics[dead] = f.deadLetter
	case in.Kind == endpoint.Kafka:
		out.StreamTopics[dead] = in.Topic + ".dlq"
	default:
		out.StreamTopics[dead] = out.Topic + ".dlq"
	}
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
	if in.Kind == endpoint.Kafka || out.Kind == endpoint.Kafka {
		k, err := f.kafkaSettings()
		if err != nil {
			return in, out, err
		}
		in.Kafka, out.Kafka = k, k
	}
	if in.Kind == endpoint.PubSub || out.Kind == endpoint.PubSub {
		ps := endpoint.PubSubSettings{Bounded: f.bounded}
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
