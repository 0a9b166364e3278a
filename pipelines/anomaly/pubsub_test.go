package anomaly

import (
	"encoding/base64"
	"encoding/json"
	"github.com/beamlens/beamlens/internal/brokertest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/synth"
	"github.com/beamlens/beamlens/transforms/endpoint"
)

// TestPubSubAnomalies runs the anomaly pipeline on prism from a Pub/Sub
// subscription to Pub/Sub topics, against an in-process Pub/Sub (pstest)
// reached as an emulator is, through PUBSUB_EMULATOR_HOST. The anomalies
// on the output topic are exactly the readings above 100, computed from
// the input with encoding/json; the malformed lines, found by the
// generator's labels, are exactly the dead letters on T.dlq; every input
// message is acknowledged once.
func TestPubSubAnomalies(t *testing.T) {
	const project, out = brokertest.Project, "sensor_anomalies"
	srv := brokertest.NewPubSub(t)
	// Pub/Sub keeps messages only for subscriptions that exist when they
	// are published: subscribe to every output topic first (the pipeline
	// creates the topics it misses, not the subscriptions).
	for _, topic := range []string{"sensor_data", out, out + ".window_stats", out + ".dlq"} {
		srv.TopicWithSubscription(t, topic, topic+"-sub")
	}

	input := writeStream(t, t.TempDir(), 3000, 21)
	want := expect(t, input, 100)
	lines, labels := readLines(t, input), readLines(t, input+".labels.jsonl")
	var malformed []string
	for i, line := range lines {
		var l synth.SensorLabel
		if err := json.Unmarshal([]byte(labels[i]), &l); err != nil {
			t.Fatal(err)
		}
		if l.Kind == synth.KindMalformed {
			malformed = append(malformed, line)
		}
		srv.Publish("projects/"+project+"/topics/sensor_data", []byte(line), nil)
	}
	if len(want.anomalyIDs) < 5 || len(malformed) < 5 {
		t.Fatalf("stream too tame to test with: %d anomalies, %d malformed", len(want.anomalyIDs), len(malformed))
	}

	// As the CLI sets it up for --input=pubsub://.../subscriptions/sensor_data-sub
	// --output=pubsub://.../topics/sensor_anomalies --bounded.
	cfg := config(t, "pubsub://projects/"+project+"/subscriptions/sensor_data-sub", "pubsub://projects/"+project+"/topics/"+out)
	cfg.Input.PubSub = endpoint.PubSubSettings{Bounded: true, IdleStop: time.Second}
	cfg.Output.PubSub = endpoint.PubSubSettings{OrderingKeyField: "device_id"}
	cfg.Output.StreamTopics = map[string]string{AnomaliesStream: out, DeadLettersStream: out + ".dlq"}
	p, s := beam.NewPipelineWithRoot()
	Build(s, cfg)
	ptest.RunAndValidate(t, p)

	var got []string
	for _, m := range srv.PullAll(t, out+"-sub") {
		var a map[string]any
		if err := json.Unmarshal(m.Data, &a); err != nil {
			t.Fatalf("anomaly is not JSON: %v: %s", err, m.Data)
		}
		if a["anomaly"] != true || a["detector"] != "threshold" {
			t.Errorf("anomaly fields wrong: %s", m.Data)
		}
		if m.OrderingKey != a["device_id"] {
			t.Errorf("anomaly of %v has ordering key %q", a["device_id"], m.OrderingKey)
		}
		got = append(got, a["reading_id"].(string))
	}
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want.anomalyIDs, ",") {
		t.Errorf("anomalies on %s:\n got %d %v\nwant %d %v", out, len(got), got, len(want.anomalyIDs), want.anomalyIDs)
	}

	var dead []string
	for _, m := range srv.PullAll(t, out+".dlq-sub") {
		var d struct {
			Stage, Error, Raw, Source string
			RawBase64                 string `json:"raw_base64"`
		}
		if err := json.Unmarshal(m.Data, &d); err != nil {
			t.Fatalf("dead letter is not JSON: %v: %s", err, m.Data)
		}
		if d.Stage == "" || d.Error == "" || !strings.HasPrefix(d.Source, "pubsub://projects/"+project+"/subscriptions/sensor_data-sub@") {
			t.Errorf("bad dead letter %s", m.Data)
		}
		if d.RawBase64 != "" {
			b, _ := base64.StdEncoding.DecodeString(d.RawBase64)
			d.Raw = string(b)
		}
		dead = append(dead, d.Raw)
	}
	sort.Strings(dead)
	sort.Strings(malformed)
	if strings.Join(dead, "\n") != strings.Join(malformed, "\n") {
		t.Errorf("dead letters on %s.dlq: got %d, want the %d malformed lines", out, len(dead), len(malformed))
	}
	t.Logf("%d window statistics on %s.window_stats", len(srv.PullAll(t, out+".window_stats-sub")), out)

	for _, m := range srv.Messages() {
		if m.Topic == "projects/"+project+"/topics/sensor_data" && (m.Acks != 1 || m.Deliveries != 1) {
			t.Errorf("input message %s: delivered %d times, acknowledged %d times; want once", m.ID, m.Deliveries, m.Acks)
			break
		}
	}
}
