package kafkaio

import (
	"fmt"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/internal/brokertest"
	"github.com/beamlens/beamlens/internal/pipetest"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestMain(m *testing.M) {
	ptest.MainWithDefault(m, "prism")
}

// The helpers below adapt brokertest, the shared kit, to this package's
// tests, which name brokers by address.

// newCluster starts an in-process Kafka cluster with topic seeded with the
// given number of partitions, closed when the test ends. Each call is a
// new cluster, so fixed topic names are fresh on every run.
func newCluster(t testing.TB, topic string, partitions int32, opts ...kfake.Opt) (*kfake.Cluster, []string) {
	t.Helper()
	k := brokertest.NewKafka(t, append([]kfake.Opt{kfake.SeedTopics(partitions, topic)}, opts...)...)
	return k.Fake, k.Brokers
}

func newClient(t testing.TB, brokers []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	return (&brokertest.Kafka{Brokers: brokers}).Client(t, opts...)
}

func produce(t testing.TB, brokers []string, topic string, partitions int32, first, n int) []*kgo.Record {
	t.Helper()
	return (&brokertest.Kafka{Brokers: brokers}).Produce(t, topic, partitions, first, n)
}

func committedOffsetsOf(t testing.TB, brokers []string, group, topic string) map[int32]int64 {
	t.Helper()
	return (&brokertest.Kafka{Brokers: brokers}).CommittedOffsets(t, group, topic)
}

// describeRecord is what pipetest.DescribeRaw gives for a record read from
// its topic.
func describeRecord(r *kgo.Record) string {
	return fmt.Sprintf("kafka://%s/%d@%d|%d|%s|%d|", r.Topic, r.Partition, r.Offset, r.Timestamp.UnixMilli(), r.Value, len(r.Value))
}

func describeAll(recs []*kgo.Record) []any { return pipetest.AnysOf(recs, describeRecord) }
