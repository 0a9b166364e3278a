package kafkaio

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/models/events"
	"github.com/twmb/franz-go/pkg/kgo"
)

func init() {
	register.DoFn1x0[events.Raw](&countFn{})
}

var counted atomic.Int64

// countFn counts what reaches it: the cheapest sink, so that the benchmark
// measures the read.
type countFn struct{}

func (countFn) ProcessElement(events.Raw) { counted.Add(1) }

// produceSensors writes n sensor-sized records (~120 bytes) round-robin
// over the partitions of topic.
func produceSensors(t testing.TB, brokers []string, topic string, parts, n int) {
	t.Helper()
	cl := newClient(t, brokers, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.MaxBufferedRecords(n))
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Partition: int32(i % parts),
			Value: fmt.Appendf(nil, `{"device_id":"sensor-%04d","timestamp":"2024-05-01T12:00:00Z","temperature":%d.25,"humidity":41.5,"seq":%d}`, i%1000, 20+i%60, i)}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkReadBounded reads 200,000 sensor-sized records (~120 bytes) from
// a 3-partition kfake topic through prism: records/s is the figure.
func BenchmarkReadBounded(b *testing.B) {
	const topic, parts, n = "bench", 3, 200_000
	_, brokers := newCluster(b, topic, parts)
	produceSensors(b, brokers, topic, parts, n)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		counted.Store(0)
		p, s := beam.NewPipelineWithRoot()
		beam.ParDo0(s, &countFn{}, Read(s, ReadOptions{Brokers: brokers, Topic: topic, Bounded: true}))
		if _, err := beam.Run(context.Background(), "prism", p); err != nil {
			b.Fatal(err)
		}
		if got := counted.Load(); got != n {
			b.Fatalf("read %d records, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "records/s")
}
