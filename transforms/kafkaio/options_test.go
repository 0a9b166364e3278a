package kafkaio

import (
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

func TestReadOptionsDefaults(t *testing.T) {
	o := ReadOptions{Brokers: []string{"k:9092"}, Topic: "t"}.withDefaults()
	if o.ClientID != DefaultClientID || o.BatchRecords != DefaultBatchRecords || o.BatchDuration != DefaultBatchDuration ||
		o.IdleDelay != DefaultIdleDelay || o.WatermarkLag != DefaultWatermarkLag || o.SASL.PasswordEnv != DefaultPasswordEnv ||
		o.Start != Earliest || o.ResetTo != Earliest || o.Bounded {
		t.Errorf("defaults: %+v", o)
	}
	if err := o.validate(); err != nil {
		t.Errorf("valid options rejected: %v", err)
	}
	b := ReadOptions{Brokers: []string{"k:9092"}, Topic: "t", Bounded: true}.withDefaults()
	if b.BatchRecords != DefaultBoundedBatchRecords || b.BatchDuration != DefaultBoundedBatchDuration {
		t.Errorf("bounded read's checkpoints: %d records, %v", b.BatchRecords, b.BatchDuration)
	}
	set := ReadOptions{Brokers: []string{"k:9092"}, Topic: "t", Bounded: true, BatchRecords: 5, BatchDuration: time.Millisecond}.withDefaults()
	if set.BatchRecords != 5 || set.BatchDuration != time.Millisecond {
		t.Errorf("a bounded read's own checkpoints replaced: %d records, %v", set.BatchRecords, set.BatchDuration)
	}
	w := WriteOptions{Brokers: []string{"k:9092"}, Topic: "t"}.withDefaults()
	if err := (WriteOptions{Brokers: []string{"k:9092"}, Topic: "t", Compression: "brotli"}).withDefaults().validate(); err == nil ||
		!strings.Contains(err.Error(), "none, gzip, snappy, lz4, zstd") {
		t.Errorf("an unknown codec: %v", err)
	}
	if w.ClientID != DefaultClientID || w.DeliveryTimeout != DefaultDeliveryTimeout || w.SASL.PasswordEnv != DefaultPasswordEnv ||
		w.Compression != "none" {
		t.Errorf("defaults: %+v", w)
	}
}

func TestReadOptionsValidate(t *testing.T) {
	ok := ReadOptions{Brokers: []string{"k:9092"}, Topic: "sensor_data"}
	for _, c := range []struct {
		name string
		edit func(*ReadOptions)
		want string
	}{
		{"no brokers", func(o *ReadOptions) { o.Brokers = nil }, "no Brokers"},
		{"bad broker", func(o *ReadOptions) { o.Brokers = []string{"k"} }, `broker "k"`},
		{"no topic", func(o *ReadOptions) { o.Topic = "" }, "no Topic"},
		{"bad topic", func(o *ReadOptions) { o.Topic = "a/b" }, "not a valid Kafka topic"},
		{"committed without group", func(o *ReadOptions) { o.Start = Committed }, "needs a Group"},
		{"time without time", func(o *ReadOptions) { o.Start = AtTime }, "needs a StartTime"},
		{"bad reset", func(o *ReadOptions) { o.ResetTo = Committed }, "ResetTo"},
		{"reset to time without time", func(o *ReadOptions) { o.ResetTo = AtTime }, "ResetTo: AtTime needs a StartTime"},
		{"negative max", func(o *ReadOptions) { o.MaxRecordsPerPartition = -1 }, "negative"},
		{"negative lag", func(o *ReadOptions) { o.WatermarkLag = -time.Second }, "negative"},
		{"unknown mechanism", func(o *ReadOptions) { o.SASL.Mechanism = "GSSAPI" }, "unknown Mechanism"},
		{"mechanism without user", func(o *ReadOptions) { o.SASL.Mechanism = SCRAMSHA256 }, "no User"},
		{"cert without key", func(o *ReadOptions) { o.TLS.CertFile = "c.pem" }, "go together"},
	} {
		o := ok
		c.edit(&o)
		err := o.withDefaults().validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestReadPanicsOnBadOptions(t *testing.T) {
	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.HasPrefix(s, "kafkaio.Read: ") {
			t.Errorf("panic %v, want one starting with kafkaio.Read: ", r)
		}
	}()
	_, s := beam.NewPipelineWithRoot()
	Read(s, ReadOptions{Topic: "t"})
}

func TestWritePanicsOnBadOptions(t *testing.T) {
	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.HasPrefix(s, "kafkaio.Write: ") {
			t.Errorf("panic %v, want one starting with kafkaio.Write: ", r)
		}
	}()
	_, s := beam.NewPipelineWithRoot()
	Write(s, WriteOptions{Brokers: []string{"k:9092"}}, beam.Create(s, []byte("{}")))
}
