package anomaly

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/internal/pipetest"
	"github.com/beamlens/beamlens/transforms/endpoint"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The two event-time cases of ../shared/cases (clock-skew-watermark,
// late-backlog-window-stats), live against a real broker: a streaming job
// on a 1-partition topic, records produced while it runs. Each asserts the
// monitoring stream's conservation exactly: for every device, the counts
// of its windows (the last pane of each) plus its window-stats dead
// letters plus its decode dead letters equal the readings it sent.

// TestIntegrationCaseClockSkew: one device's clock 10 h fast, interleaved
// with two healthy devices on one partition. Its readings are dead letters
// (beyond --max-future); the healthy devices keep every reading.
func TestIntegrationCaseClockSkew(t *testing.T) {
	t.Parallel()
	run := newKafkaCase(t, "skew")
	end := time.Now().Add(-2 * time.Minute).UnixMilli() // every window closed by the clock
	var lines []string
	sent := map[string]int{}
	for i := 0; i < 600; i++ {
		ts := end - 600_000 + int64(i)*1000
		for _, dev := range []string{"line-A", "line-B"} {
			lines = append(lines, reading(dev, ts, 20+float64(i%7)/10))
			sent[dev]++
		}
		if i%60 == 0 {
			lines = append(lines, reading("skewed-C", ts+10*3600_000, 21))
			sent["skewed-C"]++
		}
	}
	run.start(t)
	run.produce(t, lines, 10, 100*time.Millisecond)
	got := run.waitConserved(t, sent)
	if got.decodeDead["skewed-C"] != sent["skewed-C"] {
		t.Errorf("skewed-C: %d of %d readings dead-lettered at decode, want all (10 h ahead, past --max-future)", got.decodeDead["skewed-C"], sent["skewed-C"])
	}
	for _, dev := range []string{"line-A", "line-B"} {
		if got.counted[dev] != sent[dev] {
			t.Errorf("%s: %d of %d readings in its windows, want all: another device's clock cost it readings", dev, got.counted[dev], sent[dev])
		}
	}
}

// TestIntegrationCaseLateBacklog: a two-hour-old backlog of one device
// arrives into a topic carrying another device's live readings. Each
// device's windows are judged by its own event time: the backlog keeps its
// window statistics.
func TestIntegrationCaseLateBacklog(t *testing.T) {
	t.Parallel()
	run := newKafkaCase(t, "backlog")
	end := time.Now().Add(-2 * time.Minute).UnixMilli()
	sent := map[string]int{}
	var live, backlog []string
	for i := 0; i < 1800; i++ {
		live = append(live, reading("live-A", end-1800_000+int64(i)*1000, 20+float64(i%7)/10))
		sent["live-A"]++
	}
	for i := 0; i < 600; i++ {
		v := 20 + float64(i%5)/10
		if i == 300 {
			v = 130
		}
		backlog = append(backlog, reading("buffered-B", end-2*3600_000+int64(i)*1000, v))
		sent["buffered-B"]++
	}
	run.start(t)
	run.produce(t, live, 100, 50*time.Millisecond)
	time.Sleep(5 * time.Second)
	run.produce(t, backlog, 100, 50*time.Millisecond)
	got := run.waitConserved(t, sent)
	if got.counted["buffered-B"] != sent["buffered-B"] {
		t.Errorf("buffered-B: %d of %d backlog readings in windows (the rest: %d late dead letters)", got.counted["buffered-B"], sent["buffered-B"], got.statsDead["buffered-B"])
	}
	if got.anomalies["buffered-B"] != 1 {
		t.Errorf("buffered-B: %d anomalies, want the one reading of 130", got.anomalies["buffered-B"])
	}
}

func reading(dev string, ts int64, temp float64) string {
	return fmt.Sprintf(`{"device_id":%q,"timestamp":%d,"temperature":%.1f}`, dev, ts, temp)
}

type kafkaCase struct {
	bootstrap, in, out, dlq, stats string
	cl                             *kgo.Client
	ctx                            context.Context
	done                           <-chan error
}

func newKafkaCase(t *testing.T, name string) *kafkaCase {
	bootstrap := os.Getenv("KAFKA_BOOTSTRAP")
	if bootstrap == "" {
		t.Skip("KAFKA_BOOTSTRAP is not set: this test needs a real broker (scripts/kafka.sh start; .ci/run starts one)")
	}
	suffix := fmt.Sprintf("_%s_%d", name, time.Now().UnixNano())
	r := &kafkaCase{bootstrap: bootstrap, in: "case_in" + suffix, out: "case_anomalies" + suffix,
		dlq: "case_dlq" + suffix, stats: "case_stats" + suffix}
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	r.cl, r.ctx = cl, ctx
	adm := kadm.NewClient(cl)
	for _, topic := range []string{r.in, r.out, r.dlq, r.stats} {
		if _, err := adm.CreateTopic(ctx, 1, 1, nil, topic); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// start runs the case's job: `anomalies --detectors=threshold --window=1m`
// reading the input topic live.
func (r *kafkaCase) start(t *testing.T) {
	cfg := config(t, "kafka://"+r.bootstrap+"/"+r.in, "kafka://"+r.bootstrap+"/"+r.out)
	cfg.Input.Kafka = endpoint.KafkaSettings{TimestampField: "timestamp", Group: "cases" + r.in}
	cfg.Output.StreamTopics = map[string]string{AnomaliesStream: r.out, DeadLettersStream: r.dlq, WindowStatsStream: r.stats}
	cfg.Detect.Detectors = []string{"threshold"}
	cfg.Window.Size = time.Minute
	p, s := beam.NewPipelineWithRoot()
	Build(s, cfg)
	runCtx, stop := context.WithCancel(r.ctx)
	r.done = pipetest.RunAsync(runCtx, p)
	t.Cleanup(func() { pipetest.Stop(t, stop, r.done) })
	time.Sleep(5 * time.Second) // let the read start before the data, as a live stream would
}

// produce sends lines in chunks with a pause between, as a live stream.
func (r *kafkaCase) produce(t *testing.T, lines []string, chunk int, pause time.Duration) {
	for i := 0; i < len(lines); i += chunk {
		var wg sync.WaitGroup
		var firstErr error
		var mu sync.Mutex
		for _, l := range lines[i:min(i+chunk, len(lines))] {
			wg.Add(1)
			r.cl.Produce(r.ctx, &kgo.Record{Topic: r.in, Value: []byte(l)}, func(_ *kgo.Record, err error) {
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				wg.Done()
			})
		}
		wg.Wait()
		if firstErr != nil {
			t.Fatal(firstErr)
		}
		time.Sleep(pause)
	}
}

type caseOutputs struct {
	counted, statsDead, decodeDead, anomalies map[string]int
}

// waitConserved reads the outputs until every device's readings are
// accounted for (windows + dead letters == sent), failing after 3 minutes
// with the accounting so far; then it checks that nothing more arrives
// (no reading counted twice). Meanwhile a "clock" device reports the
// current time every 200 ms, as the rest of a live factory topic would: a
// device's last window closes when the partition's watermark passes its
// end, and a partition's watermark follows its data (a silent partition
// holds it, RELIABILITY.md).
func (r *kafkaCase) waitConserved(t *testing.T, sent map[string]int) caseOutputs {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	go func() {
		for range tick.C {
			if r.ctx.Err() != nil {
				return
			}
			r.cl.Produce(r.ctx, &kgo.Record{Topic: r.in, Value: []byte(reading("clock", time.Now().UnixMilli(), 20))}, nil)
		}
	}()
	watch, err := kgo.NewClient(kgo.SeedBrokers(r.bootstrap), kgo.ConsumeTopics(r.out, r.dlq, r.stats),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	panes := map[string]struct{ index, count int }{} // device|window -> the latest pane
	o := caseOutputs{counted: map[string]int{}, statsDead: map[string]int{}, decodeDead: map[string]int{}, anomalies: map[string]int{}}
	poll := func() {
		pctx, cancel := context.WithTimeout(r.ctx, 300*time.Millisecond)
		defer cancel()
		watch.PollFetches(pctx).EachRecord(func(rec *kgo.Record) {
			switch rec.Topic {
			case r.stats:
				var w struct {
					Device    string `json:"device_id"`
					Start     string `json:"window_start"`
					Count     int    `json:"count"`
					PaneIndex int    `json:"pane_index"`
				}
				if err := json.Unmarshal(rec.Value, &w); err != nil {
					t.Errorf("window stats record is not JSON: %s", rec.Value)
					return
				}
				k := w.Device + "|" + w.Start
				if p, ok := panes[k]; !ok || w.PaneIndex > p.index {
					o.counted[w.Device] += w.Count - p.count
					panes[k] = struct{ index, count int }{w.PaneIndex, w.Count}
				}
			case r.dlq:
				var d struct {
					Stage, Error, Raw string
				}
				if err := json.Unmarshal(rec.Value, &d); err != nil {
					t.Errorf("dead letter is not JSON: %s", rec.Value)
					return
				}
				var rd struct {
					Device string `json:"device_id"`
				}
				_ = json.Unmarshal([]byte(d.Raw), &rd)
				switch d.Stage {
				case "window_stats":
					o.statsDead[rd.Device]++
				case "decode":
					o.decodeDead[rd.Device]++
				default:
					t.Errorf("dead letter from stage %q: %s", d.Stage, d.Error)
				}
			case r.out:
				var a struct {
					Device string `json:"device_id"`
				}
				_ = json.Unmarshal(rec.Value, &a)
				o.anomalies[a.Device]++
			}
		})
	}
	conserved := func() bool {
		for dev, n := range sent {
			if o.counted[dev]+o.statsDead[dev]+o.decodeDead[dev] < n {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(3 * time.Minute)
	for !conserved() {
		select {
		case err := <-r.done:
			t.Fatalf("the job ended early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			var last []string
			for k, p := range panes {
				last = append(last, fmt.Sprintf("%s:%d(pane %d)", k, p.count, p.index))
			}
			sort.Strings(last)
			t.Fatalf("not every reading accounted for after 3 minutes: %s\nwindows: %s", accounting(sent, o), strings.Join(last, " "))
		}
		poll()
	}
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		poll()
	}
	for dev, n := range sent {
		if got := o.counted[dev] + o.statsDead[dev] + o.decodeDead[dev]; got != n {
			t.Errorf("%s: windows %d + window-stats dead letters %d + decode dead letters %d = %d, want exactly %d",
				dev, o.counted[dev], o.statsDead[dev], o.decodeDead[dev], got, n)
		}
	}
	t.Logf("accounting: %s", accounting(sent, o))
	return o
}

func accounting(sent map[string]int, o caseOutputs) string {
	var b strings.Builder
	for dev, n := range sent {
		fmt.Fprintf(&b, "%s sent %d: windows %d, window-stats dead %d, decode dead %d, anomalies %d; ",
			dev, n, o.counted[dev], o.statsDead[dev], o.decodeDead[dev], o.anomalies[dev])
	}
	return b.String()
}
