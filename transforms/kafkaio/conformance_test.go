package kafkaio

import (
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/internal/brokertest"
	"github.com/beamlens/beamlens/internal/sourcetest"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestConformance runs the source conformance suite against an in-process
// Kafka (kfake).
func TestConformance(t *testing.T) {
	sourcetest.Run(t, kafkaSource(func(t testing.TB) *brokertest.Kafka { return brokertest.NewKafka(t) }))
}

// TestIntegrationConformance runs the source conformance suite against the
// real broker KAFKA_BOOTSTRAP names (scripts/kafka.sh start).
func TestIntegrationConformance(t *testing.T) {
	k := brokertest.RealKafka(t)
	sourcetest.Run(t, kafkaSource(func(testing.TB) *brokertest.Kafka { return k }))
}

// kafkaSource reads a topic of its own per case, with two partitions; a
// resumed read is a group's, from its committed offsets.
func kafkaSource(cluster func(testing.TB) *brokertest.Kafka) sourcetest.Source {
	return sourcetest.Source{New: func(t testing.TB) sourcetest.Stream {
		k := cluster(t)
		topic := k.Topic(t, "conformance", 2)
		return &kafkaStream{k: k, topic: topic, group: topic + "-group"}
	}}
}

type kafkaStream struct {
	k            *brokertest.Kafka
	topic, group string
	added        int
}

func (st *kafkaStream) Add(t testing.TB, records [][]byte) {
	t.Helper()
	recs := make([]*kgo.Record, len(records))
	for i, v := range records {
		recs[i] = &kgo.Record{Topic: st.topic, Partition: int32(st.added+i) % 2, Value: v}
	}
	st.added += len(records)
	st.k.ProduceRecords(t, recs...)
}

func (st *kafkaStream) Read(s beam.Scope, mode sourcetest.ReadMode) beam.PCollection {
	opts := ReadOptions{Brokers: st.k.Brokers, Topic: st.topic, Bounded: mode.Bounded,
		IdleDelay: 100 * time.Millisecond, WatermarkLag: mode.WatermarkLag}
	if mode.Resume {
		opts.Group, opts.Start = st.group, Committed
	}
	return Read(s, opts)
}

// Settle has nothing to release: a failed run committed nothing.
func (st *kafkaStream) Settle(testing.TB) {}
