package anomaly

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/internal/pipetest"
	"github.com/beamlens/beamlens/transforms/endpoint"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestBrokerRestartLosesNothing stops the real Kafka broker in the middle of
// a streaming run of the anomaly pipeline and starts it again, while more
// readings arrive: the run must recover by itself and, in the end, the
// anomaly topic must hold every expected anomaly and the dead-letter topic
// every malformed record. Delivery is at least once: duplicates are
// counted, reported, and bounded; a consumer removes them by reading_id.
//
// It stops the shared broker, so it runs on its own (.ci/run), not among
// the TestIntegration tests: set KAFKA_BOOTSTRAP and KAFKA_SCRIPT (the
// path of scripts/kafka.sh).
func TestBrokerRestartLosesNothing(t *testing.T) {
	bootstrap, script := os.Getenv("KAFKA_BOOTSTRAP"), os.Getenv("KAFKA_SCRIPT")
	if bootstrap == "" || script == "" {
		t.Skip("KAFKA_BOOTSTRAP and KAFKA_SCRIPT are not set: this test stops and restarts a broker started by scripts/kafka.sh (.ci/run runs it)")
	}
	broker := func(cmd string) {
		t.Helper()
		start := time.Now()
		out, err := exec.Command(script, cmd).CombinedOutput()
		if err != nil {
			t.Fatalf("kafka.sh %s: %v\n%s", cmd, err, out)
		}
		t.Logf("kafka.sh %s took %s", cmd, time.Since(start).Round(100*time.Millisecond))
	}
	defer func() {
		if exec.Command(script, "status").Run() != nil {
			broker("start") // leave the broker up for whatever runs next
		}
	}()

	dir := t.TempDir()
	input := writeStream(t, dir, 6000, 33)
	want := expect(t, input, 100)
	lines := readLines(t, input)
	suffix := fmt.Sprintf("_%d", time.Now().UnixNano())
	in, out, dlq := "restart_in"+suffix, "restart_anomalies"+suffix, "restart_dlq"+suffix

	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.AllowAutoTopicCreation(),
		kgo.RecordDeliveryTimeout(3*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	adm := kadm.NewClient(cl)
	for _, topic := range []string{in, out, dlq} {
		if _, err := adm.CreateTopic(ctx, 3, 1, nil, topic); err != nil {
			t.Fatal(err)
		}
	}
	produce := func(part []string) {
		t.Helper()
		for _, line := range part {
			// Keyed by device, as the streaming detectors expect.
			var r struct {
				DeviceID string `json:"device_id"`
			}
			_ = json.Unmarshal([]byte(line), &r)
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: in, Key: []byte(r.DeviceID), Value: []byte(line)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	half := len(lines) / 2
	produce(lines[:half])

	cfg := config(t, "kafka://"+bootstrap+"/"+in, "kafka://"+bootstrap+"/"+out)
	cfg.Input.Kafka = endpoint.KafkaSettings{TimestampField: "timestamp", Group: "restart" + suffix}
	cfg.Output.StreamTopics = map[string]string{AnomaliesStream: out, DeadLettersStream: dlq,
		WindowStatsStream: "restart_stats" + suffix}
	p, s := beam.NewPipelineWithRoot()
	Build(s, cfg)
	runCtx, stop := context.WithCancel(ctx)
	done := pipetest.RunAsync(runCtx, p)
	defer pipetest.Stop(t, stop, done)

	// A separate reader watches the outputs throughout.
	watch, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumeTopics(out, dlq),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	anomalies, dead := map[string]int{}, map[string]int{}
	poll := func() {
		pctx, pcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer pcancel()
		watch.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
			if r.Topic == dlq {
				dead[string(r.Value)]++
				return
			}
			var a struct {
				ReadingID string `json:"reading_id"`
			}
			if json.Unmarshal(r.Value, &a) == nil {
				anomalies[a.ReadingID]++
			}
		})
	}
	firstHalf := 0
	for _, id := range want.anomalyIDs {
		if idIn(lines[:half], id) {
			firstHalf++
		}
	}
	pipetest.WaitRunning(t, done, 2*time.Minute, "the first half's anomalies", func() bool {
		poll()
		return len(anomalies) >= firstHalf/2
	})
	t.Logf("before the restart: %d of %d anomalies out (%d in the first half)", len(anomalies), len(want.anomalyIDs), firstHalf)

	broker("stop")
	time.Sleep(5 * time.Second) // the pipeline runs on, with no broker
	broker("start")
	produce(lines[half:])

	pipetest.WaitRunning(t, done, 4*time.Minute, "every expected anomaly after the restart", func() bool {
		poll()
		return len(anomalies) >= len(want.anomalyIDs) && len(deadIDs(dead)) >= want.malformed
	})
	// Let stragglers (duplicates from retries) arrive before counting.
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		poll()
	}

	var got []string
	dups := 0
	for id, n := range anomalies {
		got = append(got, id)
		dups += n - 1
	}
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want.anomalyIDs, ",") {
		t.Errorf("distinct anomalies after the restart: got %d, want %d", len(got), len(want.anomalyIDs))
	}
	if n := len(deadIDs(dead)); n != want.malformed {
		t.Errorf("distinct dead letters: got %d, want %d", n, want.malformed)
	}
	t.Logf("after the restart: %d distinct anomalies (want %d), %d duplicates; %d dead letters (want %d)",
		len(got), len(want.anomalyIDs), dups, len(deadIDs(dead)), want.malformed)
	// At least once, not at-least-twice: a restart may replay what was in
	// flight, never the whole stream.
	if dups > len(want.anomalyIDs)/2 {
		t.Errorf("%d duplicate anomalies of %d: more than half the stream was replayed", dups, len(want.anomalyIDs))
	}
}

// idIn reports whether a reading with this reading_id is among lines.
func idIn(lines []string, id string) bool {
	for _, l := range lines {
		var r struct {
			ReadingID string `json:"reading_id"`
		}
		if json.Unmarshal([]byte(l), &r) == nil && r.ReadingID == id {
			return true
		}
	}
	return false
}

// deadIDs groups dead letters by source (topic/partition@offset), which
// names one input record however often it was dead-lettered.
func deadIDs(dead map[string]int) map[string]bool {
	ids := map[string]bool{}
	for v := range dead {
		var d struct {
			Source string `json:"source"`
		}
		if json.Unmarshal([]byte(v), &d) == nil {
			ids[d.Source] = true
		}
	}
	return ids
}
