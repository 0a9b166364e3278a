package view

import (
	"context"
	"fmt"
	"strings"

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
func followKafka(ctx context.Context, src string, add func([]byte)) error {
	brokers, topic, err := parseKafka(src)
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.ClientID("beamlens-view"))
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
