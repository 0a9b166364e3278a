package anomaly

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/beamlens/beamlens/internal/brokertest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/transforms/endpoint"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestIntegrationKafkaAnomalies runs the anomaly pipeline on prism from a
// real broker's sensor_data topic to sensor_anomalies and sensor_data.dlq
// (suffixed per run) and checks the exact expected sets. Start a broker with
// scripts/kafka.sh start and set KAFKA_BOOTSTRAP.
func TestIntegrationKafkaAnomalies(t *testing.T) {
	k := brokertest.RealKafka(t)
	bootstrap := strings.Join(k.Brokers, ",")
	dir := t.TempDir()
	input := writeStream(t, dir, 5000, 21)
	want := expect(t, input, 100)
	suffix := fmt.Sprintf("_%d", time.Now().UnixNano())
	in, out := "sensor_data"+suffix, "sensor_anomalies"+suffix

	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 3, 1, nil, in); err != nil {
		t.Fatal(err)
	}
	for _, line := range readLines(t, input) {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: in, Value: []byte(line)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	cfg := config(t, "kafka://"+bootstrap+"/"+in, "kafka://"+bootstrap+"/"+out)
	cfg.Input.Kafka = endpoint.KafkaSettings{Bounded: true}
	cfg.Output.StreamTopics = map[string]string{AnomaliesStream: out, DeadLettersStream: in + ".dlq",
		WindowStatsStream: "sensor_window_stats" + suffix}
	p, s := beam.NewPipelineWithRoot()
	Build(s, cfg)
	ptest.RunAndValidate(t, p)

	var got []string
	for _, v := range k.ConsumeAll(t, out) {
		var a map[string]any
		if err := json.Unmarshal(v, &a); err != nil {
			t.Fatal(err)
		}
		got = append(got, a["reading_id"].(string))
	}
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want.anomalyIDs, ",") {
		t.Errorf("anomalies on %s:\n got %v\nwant %v", out, got, want.anomalyIDs)
	}
	if dead := k.ConsumeAll(t, in+".dlq"); len(dead) != want.malformed {
		t.Errorf("%d dead letters on %s.dlq, want %d", len(dead), in, want.malformed)
	}
}
