package brokertest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// KafkaEnv names the environment variable that points the integration
// tests at a real broker: what `scripts/kafka.sh start` prints.
const KafkaEnv = "KAFKA_BOOTSTRAP"

// Kafka is a Kafka cluster for one test.
type Kafka struct {
	// Brokers are the seed brokers' addresses.
	Brokers []string
	// Fake is the in-process cluster, nil for a real broker: its
	// ControlKey and Fault inject failures.
	Fake *kfake.Cluster
	// login authenticates Client's clients on a NewSASLKafka cluster.
	login sasl.Mechanism
}

// NewKafka starts an in-process Kafka cluster (kfake, one broker, random
// port) with opts, closed when the test ends.
func NewKafka(t testing.TB, opts ...kfake.Opt) *Kafka {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &Kafka{Brokers: c.ListenAddrs(), Fake: c}
}

// NewSASLKafka starts an in-process Kafka cluster that requires SASL, with
// user a superuser of mechanism (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)
// and password pass, and topics seeded with one partition each. Client,
// and the helpers built on it, log in as user; the code under test is
// given the password the way its users give it.
func NewSASLKafka(t testing.TB, mechanism, user, pass string, topics ...string) *Kafka {
	t.Helper()
	var login sasl.Mechanism
	switch mechanism {
	case "PLAIN":
		login = plain.Auth{User: user, Pass: pass}.AsMechanism()
	case "SCRAM-SHA-256":
		login = scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		login = scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
	default:
		t.Fatalf("brokertest.NewSASLKafka: unknown mechanism %q", mechanism)
	}
	k := NewKafka(t, kfake.EnableSASL(), kfake.Superuser(mechanism, user, pass), kfake.SeedTopics(1, topics...))
	k.login = login
	return k
}

// RealKafka returns the real broker KAFKA_BOOTSTRAP names, and skips the
// test when it is not set.
func RealKafka(t testing.TB) *Kafka {
	t.Helper()
	bootstrap := os.Getenv(KafkaEnv)
	if bootstrap == "" {
		t.Skip(KafkaEnv + " is not set: start a broker with scripts/kafka.sh start and export what it prints (.ci/run does)")
	}
	return &Kafka{Brokers: strings.Split(bootstrap, ",")}
}

// Client returns a client of the cluster with opts, closed when the test
// ends.
func (k *Kafka) Client(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	base := []kgo.Opt{kgo.SeedBrokers(k.Brokers...)}
	if k.login != nil {
		base = append(base, kgo.SASL(k.login))
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Topic creates a topic of its own for this run, named after prefix, with
// the given partitions; it is deleted when the test ends.
func (k *Kafka) Topic(t testing.TB, prefix string, partitions int32) string {
	t.Helper()
	name := UniqueName(prefix)
	adm := kadm.NewClient(k.Client(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := adm.CreateTopic(ctx, partitions, 1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	t.Cleanup(func() { adm.DeleteTopics(context.Background(), name) })
	return name
}

// Produce writes n readings numbered from first (Reading) to topic,
// reading seq to partition seq % partitions; it returns the records as
// produced, offsets and timestamps filled in.
func (k *Kafka) Produce(t testing.TB, topic string, partitions int32, first, n int) []*kgo.Record {
	t.Helper()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		seq := first + i
		recs[i] = &kgo.Record{Topic: topic, Partition: int32(seq) % partitions, Value: Reading(seq)}
	}
	k.ProduceRecords(t, recs...)
	return recs
}

// ProduceRecords writes recs to the partitions they name, in order.
func (k *Kafka) ProduceRecords(t testing.TB, recs ...*kgo.Record) {
	t.Helper()
	cl := k.Client(t, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// CommittedOffsets returns the offsets group committed on topic, by
// partition (none: not in the map).
func (k *Kafka) CommittedOffsets(t testing.TB, group, topic string) map[int32]int64 {
	t.Helper()
	adm := kadm.NewClient(k.Client(t))
	resps, err := adm.FetchOffsetsForTopics(context.Background(), group, topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	resps.Each(func(o kadm.OffsetResponse) {
		if o.Err != nil {
			t.Fatalf("fetch offsets: %v", o.Err)
		}
		if o.At >= 0 {
			out[o.Partition] = o.At
		}
	})
	return out
}

// ConsumeAll reads topic from the start up to its end offsets as they are
// now, and returns the values.
func (k *Kafka) ConsumeAll(t testing.TB, topic string) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl := k.Client(t)
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int32]int64{}
	offsets := map[string]map[int32]kgo.Offset{topic: {}}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
			want[o.Partition] = o.Offset
			offsets[topic][o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	if len(want) == 0 {
		return nil
	}
	cl.AddConsumePartitions(offsets)
	var out [][]byte
	for len(want) > 0 {
		fetches := cl.PollFetches(ctx)
		if err := fetches.Err0(); err != nil {
			t.Fatalf("consume %s: %v", topic, err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			end, ok := want[r.Partition]
			if !ok || r.Offset >= end {
				return
			}
			out = append(out, r.Value)
			if r.Offset+1 >= end {
				delete(want, r.Partition)
			}
		})
	}
	return out
}
