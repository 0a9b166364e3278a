package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// replayInput generates the 20,000 readings (with their malformed
// lines) and runs the file pipeline on them, returning the file and the
// window statistics of the file run.
func replayInput(t *testing.T) (in string, want []string) {
	t.Helper()
	dir := t.TempDir()
	in = filepath.Join(dir, "sensors.jsonl")
	if code, _, stderr := runCLI(t, "gen", "sensors", "--n=20000", "--seed=1", "--out="+in); code != 0 {
		t.Fatal(stderr)
	}
	out := filepath.Join(dir, "file-run")
	if code, _, stderr := runCLI(t, "anomalies", "--input="+in, "--output="+out); code != 0 {
		t.Fatal(stderr)
	}
	return in, windowStats(t, out)
}

// windowStats returns the window statistics a run wrote to dir, one line
// per record: device, metric, window, count, min and max, sorted (the
// means and variances differ in their last bits with the order partial
// sums are merged in).
func windowStats(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dir, "window_stats.jsonl"))), "\n") {
		var w struct {
			Device string  `json:"device_id"`
			Metric string  `json:"metric"`
			Start  string  `json:"window_start"`
			Count  int64   `json:"count"`
			Min    float64 `json:"min"`
			Max    float64 `json:"max"`
		}
		if err := json.Unmarshal([]byte(l), &w); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		out = append(out, fmt.Sprintf("%s %s %s count=%d min=%g max=%g", w.Device, w.Metric, w.Start, w.Count, w.Min, w.Max))
	}
	sort.Strings(out)
	return out
}

func sameStats(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		t.Logf("%s: the same %d window-stats records as the file run", what, len(got))
		return
	}
	sum := func(ls []string) (n int64) {
		for _, l := range ls {
			var c int64
			fmt.Sscanf(l[strings.Index(l, "count=")+6:], "%d", &c)
			n += c
		}
		return n
	}
	t.Errorf("%s: %d window-stats records counting %d readings; the file run: %d counting %d", what, len(got), sum(got), len(want), sum(want))
}

// TestIntegrationKafkaReplayMatchesFile produces the 20,000 readings, with
// their malformed lines, to a 3-partition topic and replays it with
// --bounded: the window statistics must be those of the file run.
func TestIntegrationKafkaReplayMatchesFile(t *testing.T) {
	bootstrap := os.Getenv("KAFKA_BOOTSTRAP")
	if bootstrap == "" {
		t.Skip("KAFKA_BOOTSTRAP is not set: start a broker with scripts/kafka.sh start and export what it prints")
	}
	in, want := replayInput(t)
	topic := fmt.Sprintf("replay_%d", time.Now().UnixNano())
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 3, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for _, l := range strings.Split(strings.TrimRight(readFile(t, in), "\n"), "\n") {
		recs = append(recs, &kgo.Record{Topic: topic, Value: []byte(l)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "kafka-run")
	if code, _, stderr := runCLI(t, "anomalies", "--input=kafka://"+bootstrap+"/"+topic, "--bounded", "--output="+out); code != 0 {
		t.Fatal(stderr)
	}
	sameStats(t, "Kafka replay", windowStats(t, out), want)
}

// TestPubSubReplayMatchesFile publishes the 20,000 readings, with their
// malformed lines, to Pub/Sub (pstest, which delivers in no particular
// order) and replays the subscription with --bounded: the window
// statistics must be those of the file run.
func TestPubSubReplayMatchesFile(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 readings through pstest")
	}
	in, want := replayInput(t)
	f := pubsubFake(t, "sensor_data")
	publishFile(t, f, "sensor_data", in)
	out := filepath.Join(t.TempDir(), "pubsub-run")
	if code, _, stderr := runCLI(t, "anomalies", "--input=pubsub://projects/beamlens-test/subscriptions/sensor_data-sub", "--bounded", "--output="+out); code != 0 {
		t.Fatal(stderr)
	}
	sameStats(t, "Pub/Sub replay", windowStats(t, out), want)
}
