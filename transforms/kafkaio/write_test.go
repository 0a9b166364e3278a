package kafkaio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/beamlens/beamlens/internal/pipetest"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// jsonRecords returns n records {"device_id":"d<i%devices>","seq":i}, with
// every fifth one lacking the key field.
func jsonRecords(n, devices int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		if i%5 == 4 {
			out[i] = fmt.Appendf(nil, `{"seq":%d}`, i)
			continue
		}
		out[i] = fmt.Appendf(nil, `{"device_id":"d%d","seq":%d}`, i%devices, i)
	}
	return out
}

// consumeAll reads n records of topic from the start, failing the test if
// they do not all arrive within the timeout.
func consumeAll(t testing.TB, brokers []string, topic string, n int) []*kgo.Record {
	t.Helper()
	cl := newClient(t, brokers, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d records of %d: %v", len(out), n, err)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("consume: %v", err) })
		out = append(out, fs.Records()...)
	}
	// Anything more would be a duplicate.
	short, cancelShort := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancelShort()
	out = append(out, cl.PollFetches(short).Records()...)
	return out
}

// Write produces every element exactly once, keyed by the key field when
// present, with the static headers; records of one key share a partition.
func TestWrite(t *testing.T) {
	const topic, parts = "sensor_anomalies", 3
	_, brokers := newCluster(t, topic, parts)
	recs := jsonRecords(1000, 7)

	p, s := beam.NewPipelineWithRoot()
	col := beam.CreateList(s, recs)
	Write(s, WriteOptions{Brokers: brokers, Topic: topic, KeyField: "device_id",
		Headers: map[string]string{"origin": "beamlens", "schema": "anomaly/v1"}}, col)
	ptest.RunAndValidate(t, p)

	got := consumeAll(t, brokers, topic, len(recs))
	var gotValues []string
	partitionOf := map[string]int32{}
	for _, r := range got {
		gotValues = append(gotValues, string(r.Value))
		v := string(r.Value)
		wantKey := ""
		if i := strings.Index(v, `"device_id":"`); i >= 0 {
			wantKey = strings.SplitN(v[i+len(`"device_id":"`):], `"`, 2)[0]
		}
		if string(r.Key) != wantKey {
			t.Errorf("record %s has key %q, want %q", v, r.Key, wantKey)
		}
		if wantKey != "" {
			if p, ok := partitionOf[wantKey]; ok && p != r.Partition {
				t.Errorf("key %s in partitions %d and %d", wantKey, p, r.Partition)
			}
			partitionOf[wantKey] = r.Partition
		}
		if len(r.Headers) != 2 || r.Headers[0].Key != "origin" || string(r.Headers[0].Value) != "beamlens" ||
			r.Headers[1].Key != "schema" || string(r.Headers[1].Value) != "anomaly/v1" {
			t.Errorf("record %s has headers %v", v, r.Headers)
		}
	}
	pipetest.SameSet(t, gotValues, pipetest.AnysOf(recs, func(r []byte) string { return string(r) }))
}

// Retriable produce errors are retried by the idempotent producer without
// duplicating records.
func TestWriteRetriesBrokerErrors(t *testing.T) {
	const topic, parts = "out", 2
	c, brokers := newCluster(t, topic, parts)
	faults := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: topic, Err: kerr.NotEnoughReplicas, Count: 1})
	var drops atomic.Int32
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		if drops.Add(1) > 1 {
			c.DropControl()
			return nil, nil, false
		}
		c.KeepControl()
		return nil, errors.New("injected: connection dropped"), true
	})
	recs := jsonRecords(500, 5)

	p, s := beam.NewPipelineWithRoot()
	Write(s, WriteOptions{Brokers: brokers, Topic: topic}, beam.CreateList(s, recs))
	ptest.RunAndValidate(t, p)

	got := consumeAll(t, brokers, topic, len(recs))
	var values []string
	for _, r := range got {
		values = append(values, string(r.Value))
	}
	pipetest.SameSet(t, values, pipetest.AnysOf(recs, func(r []byte) string { return string(r) }))
	if faults.Hits() < 1 || drops.Load() < 1 {
		t.Errorf("injected %d produce errors and %d dropped connections, want 1 and 1", faults.Hits(), drops.Load())
	}
}

// A write that cannot reach a broker fails the pipeline once the delivery
// timeout passes; it does not drop the records and succeed.
func TestWriteUnreachableBrokerFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more

	p, s := beam.NewPipelineWithRoot()
	Write(s, WriteOptions{Brokers: []string{addr}, Topic: "nowhere", DeliveryTimeout: 2 * time.Second},
		beam.CreateList(s, jsonRecords(10, 2)))
	start := time.Now()
	err = ptest.Run(p)
	if err == nil || !strings.Contains(err.Error(), ErrProduce.Error()) {
		t.Fatalf("got %v, want an error saying %q", err, ErrProduce)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("took %v to fail", d)
	}
}

// A broker that rejects the records for good fails the pipeline.
func TestWriteRejectedRecordsFail(t *testing.T) {
	const topic = "rejecting"
	c, brokers := newCluster(t, topic, 1)
	c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: topic, Err: kerr.TopicAuthorizationFailed, Count: -1})

	p, s := beam.NewPipelineWithRoot()
	Write(s, WriteOptions{Brokers: brokers, Topic: topic}, beam.CreateList(s, jsonRecords(10, 2)))
	err := ptest.Run(p)
	if err == nil || !strings.Contains(err.Error(), kerr.TopicAuthorizationFailed.Message) {
		t.Fatalf("got %v, want an error saying %q", err, kerr.TopicAuthorizationFailed.Message)
	}
}

// A missing topic fails the write unless auto-creation is allowed.
func TestWriteMissingTopic(t *testing.T) {
	_, brokers := newCluster(t, "present", 1, kfake.AllowAutoTopicCreation())
	p, s := beam.NewPipelineWithRoot()
	Write(s, WriteOptions{Brokers: brokers, Topic: "created", AllowAutoTopicCreation: true}, beam.CreateList(s, jsonRecords(5, 2)))
	ptest.RunAndValidate(t, p)
	if got := consumeAll(t, brokers, "created", 5); len(got) != 5 {
		t.Errorf("auto-created topic has %d records, want 5", len(got))
	}
}

func TestWriteKey(t *testing.T) {
	fn := &writeFn{KeyField: "device_id"}
	for _, c := range []struct{ rec, key string }{
		{`{"device_id":"a-1","t":1}`, "a-1"},
		{`{"t":1,"device_id":"esc\"aped"}`, `esc"aped`},
		{`{"device_id":12}`, ""},
		{`{"nested":{"device_id":"x"}}`, ""},
		{`[1,2]`, ""},
		{`not json`, ""},
	} {
		if got := string(fn.key([]byte(c.rec))); got != c.key {
			t.Errorf("key(%s) = %q, want %q", c.rec, got, c.key)
		}
	}
	if got := (&writeFn{}).key([]byte(`{"device_id":"a"}`)); got != nil {
		t.Errorf("no KeyField gave key %q", got)
	}
}

// An element holding several JSON records, one per line (a block of
// window statistics), becomes one Kafka record per line, each keyed by its
// own key field; blank lines make none.
func TestWriteMakesEachLineARecord(t *testing.T) {
	const topic = "lines"
	_, brokers := newCluster(t, topic, 1)
	p, s := beam.NewPipelineWithRoot()
	Write(s, WriteOptions{Brokers: brokers, Topic: topic, KeyField: "device_id"}, beam.Create(s,
		[]byte("{\"device_id\":\"a\",\"n\":1}\n{\"device_id\":\"b\",\"n\":2}\n\n{\"n\":3}"), []byte(`{"device_id":"c","n":4}`)))
	ptest.RunAndValidate(t, p)
	var got []string
	for _, r := range consumeAll(t, brokers, topic, 4) {
		got = append(got, string(r.Key)+"="+string(r.Value))
	}
	pipetest.SameSet(t, got, []any{`a={"device_id":"a","n":1}`, `b={"device_id":"b","n":2}`, `={"n":3}`, `c={"device_id":"c","n":4}`})
}

// TestWriteKeyWithoutParseAgrees: a record that starts with its key field
// gets the key a parse would find, whatever follows the value; escapes and
// control characters go to the parse.
func TestWriteKeyWithoutParseAgrees(t *testing.T) {
	fn := &writeFn{KeyField: "device_id"}
	parsed := func(rec string) string {
		var m map[string]any
		if json.Unmarshal([]byte(rec), &m) != nil {
			return ""
		}
		s, _ := m["device_id"].(string)
		return s
	}
	for _, dev := range []string{"sensor-001", "", "日本", `q"uote`, `back\slash`, "tab\there", "a/b", "\u2028"} {
		for _, rest := range []string{`}`, `,"t":1}`, `,"device_id":"second"}`, `,"n":{"device_id":"nested"}}`} {
			dq, _ := json.Marshal(dev)
			rec := `{"device_id":` + string(dq) + rest
			if rest == `,"device_id":"second"}` {
				continue // duplicate keys: encoding/json keeps the last, a parse by fastjson the first
			}
			if got, want := string(fn.key([]byte(rec))), parsed(rec); got != want {
				t.Errorf("key(%s) = %q, a parse finds %q", rec, got, want)
			}
		}
	}
	if got := string(fn.key([]byte(`{"device_id":"first","device_id":"second"}`))); got != "first" {
		t.Errorf("duplicate key field: %q, want the first, as fastjson finds", got)
	}
}

// Each Compression reaches the broker as the record batches' codec, and
// the records read back whole; the default is none.
func TestWriteCompression(t *testing.T) {
	want := map[string]uint8{"": 0, "none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
	for name, codec := range want {
		t.Run("codec="+name, func(t *testing.T) {
			const topic = "compressed"
			_, brokers := newCluster(t, topic, 1)
			recs := jsonRecords(200, 3)
			p, s := beam.NewPipelineWithRoot()
			Write(s, WriteOptions{Brokers: brokers, Topic: topic, Compression: name}, beam.CreateList(s, recs))
			ptest.RunAndValidate(t, p)
			got := consumeAll(t, brokers, topic, len(recs))
			var values []string
			for _, r := range got {
				if c := r.Attrs.CompressionType(); c != codec {
					t.Fatalf("record batch codec %d, want %d", c, codec)
				}
				values = append(values, string(r.Value))
			}
			pipetest.SameSet(t, values, pipetest.AnysOf(recs, func(r []byte) string { return string(r) }))
		})
	}
}
