package view

import (
	"context"
	"fmt"
	"strings"

	"github.com/beamlens/beamlens/transforms/kafkaio"
	"github.com/twmb/franz-go/pkg/kgo"
)

// isKafka reports whether a source names a Kafka topic rather than a file.
func isKafka(src string) bool { return strings.HasPrefix(src, "kafka://") }

// parseKafka splits kafka://HOST:PORT[,HOST:PORT]/TOPIC.
func parseKafka(src string) (brokers []string, topic string, err error) {
	rest := strings.TrimPrefix(src, "kafka://")
	hosts, topic, ok := strings.Cut(rest, "/")
	if !ok || hosts == "" || topic == "" || strings.Contains(topic, "/") {
		return nil, "", fmt.Errorf("%q: want kafka://HOST:PORT[,HOST:PORT]/TOPIC", src)
	}
	return strings.Split(hosts, ","), topic, nil
}

// followKafka reads topic from its start and then as records arrive, handing
// each record's value to add, until ctx ends. It joins no consumer group and
// commits nothing: the view only reads.
// conn carries the SASL and TLS settings, as the pipelines' flags give them.
func followKafka(ctx context.Context, src string, conn kafkaio.Connect, add func([]byte)) error {
	brokers, topic, err := parseKafka(src)
	if err != nil {
		return err
	}
	conn.Brokers, conn.ClientID = brokers, "beamlens-view"
	opts, err := conn.ClientOptions()
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	cl, err := kgo.NewClient(append(opts, kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	for {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		// Fetch errors (a broker restarting, a topic not yet created) are
		// retried by franz-go; the next poll carries on.
		fetches.EachRecord(func(r *kgo.Record) {
			if len(r.Value) > 0 {
				add(r.Value)
			}
		})
	}
}
