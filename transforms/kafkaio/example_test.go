package kafkaio_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/kafkaio"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func init() {
	register.Function1x1[events.Raw, []byte](value)
}

func value(r events.Raw) []byte { return r.Data }

// Read a topic from the group's committed offsets, forever, and copy it to
// another topic keyed by device. The SASL password comes from the
// environment variable KAFKA_SASL_PASSWORD on the workers.
func ExampleRead() {
	p, s := beam.NewPipelineWithRoot()
	raws := kafkaio.Read(s, kafkaio.ReadOptions{
		Brokers: []string{"broker-1:9093", "broker-2:9093"},
		Topic:   "sensor_data",
		Group:   "beamlens-anomalies",
		Start:   kafkaio.Committed,
		SASL:    kafkaio.SASL{Mechanism: kafkaio.SCRAMSHA512, User: "beamlens"},
		TLS:     kafkaio.TLS{Enabled: true},
	})
	kafkaio.Write(s, kafkaio.WriteOptions{
		Brokers:  []string{"broker-1:9093", "broker-2:9093"},
		Topic:    "sensor_data_copy",
		KeyField: "device_id",
		SASL:     kafkaio.SASL{Mechanism: kafkaio.SCRAMSHA512, User: "beamlens"},
		TLS:      kafkaio.TLS{Enabled: true},
	}, beam.ParDo(s, value, raws))
	_ = p // beamx.Run(ctx, p) would run it until cancelled
}

// Write records to a topic, then copy that topic to another with a
// bounded read, as a backfill would; here against an in-process cluster.
func ExampleWrite() {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "readings", "copy"))
	if err != nil {
		panic(err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()
	ctx := context.Background()

	p, s := beam.NewPipelineWithRoot()
	records := beam.Create(s,
		[]byte(`{"device_id":"press-1","temperature":71.5}`),
		[]byte(`{"device_id":"press-2","temperature":104.2}`),
		[]byte(`{"device_id":"press-1","temperature":72.0}`))
	kafkaio.Write(s, kafkaio.WriteOptions{Brokers: brokers, Topic: "readings", KeyField: "device_id"}, records)
	if err := beamx.Run(ctx, p); err != nil {
		panic(err)
	}

	p, s = beam.NewPipelineWithRoot()
	raws := kafkaio.Read(s, kafkaio.ReadOptions{Brokers: brokers, Topic: "readings", Bounded: true})
	kafkaio.Write(s, kafkaio.WriteOptions{Brokers: brokers, Topic: "copy"}, beam.ParDo(s, value, raws))
	if err := beamx.Run(ctx, p); err != nil {
		panic(err)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("copy"))
	if err != nil {
		panic(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var got []string
	for len(got) < 3 && ctx.Err() == nil {
		for _, r := range cl.PollFetches(ctx).Records() {
			got = append(got, string(r.Value))
		}
	}
	slices.Sort(got)
	for _, v := range got {
		fmt.Println(v)
	}
	// Output:
	// {"device_id":"press-1","temperature":71.5}
	// {"device_id":"press-1","temperature":72.0}
	// {"device_id":"press-2","temperature":104.2}
}
