package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beamlens/beamlens/internal/brokertest"
	"github.com/beamlens/beamlens/internal/metrics"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestMetricsEndpoint serves /metrics, checks the Prometheus text for the
// live counters, then the job's final counters once it ends.
func TestMetricsEndpoint(t *testing.T) {
	var log bytes.Buffer
	m, err := startMetrics("127.0.0.1:0", &log)
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()
	url := regexp.MustCompile(`http://\S+/metrics`).FindString(log.String())
	get := func() string {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	body := get()
	for _, want := range []string{"# TYPE beamlens_records_read_total counter", "beamlens_records_written_total ", "beamlens_anomalies_emitted_total ", "beamlens_dead_letters_emitted_total ", "beamlens_llm_calls_total ", "beamlens_llm_prompt_tokens_total ", "beamlens_job_done 0"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	m.finish(map[string]int64{"records_read": 42, "dead_letters_decode": 3})
	body = get()
	for _, want := range []string{"beamlens_job_done 1", "beamlens_job_records_read 42", "beamlens_job_dead_letters_decode 3"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q after the job:\n%s", want, body)
		}
	}
	// The refusal names this command's flag, not the view's --public.
	if _, err := startMetrics("0.0.0.0:0", &log); err == nil || !strings.Contains(err.Error(), "--metrics-addr") || strings.Contains(err.Error(), "--public") {
		t.Errorf("--metrics-addr on a non-loopback address: %v", err)
	}
}

// TestMetricsWhileAStreamingJobRuns runs `anomalies --metrics-addr` on an
// unbounded Kafka input and scrapes /metrics with Prometheus's own text
// parser while the job runs: records read move between two scrapes as
// readings arrive, the anomalies and the watermark lag show, and the
// event-to-output latency histogram of the anomalies topic has samples.
func TestMetricsWhileAStreamingJobRuns(t *testing.T) {
	k := brokertest.NewKafka(t, kfake.SeedTopics(1, "sensor_data", "sensor_anomalies", "sensor_anomalies.window_stats", "sensor_data.dlq"))
	addr, cl := k.Brokers[0], k.Client(t)
	// produce sends n readings stamped over the n/10 s before now; every
	// 50th is hot.
	produce := func(n int) {
		now := time.Now().UnixMilli()
		for i := range n {
			temp := 20 + i%5
			if i%50 == 0 {
				temp = 150
			}
			v := fmt.Sprintf(`{"device_id":"d%d","timestamp":%d,"temperature":%d}`, i%3, now-int64(n-i)*100, temp)
			if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "sensor_data", Value: []byte(v)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	const first, second = 300, 100
	produce(first)
	// The counters are the process's: other tests' jobs count too.
	before := scrapeFamilies(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"anomalies", "--input=kafka://" + addr + "/sensor_data", "--output=kafka://" + addr + "/sensor_anomalies",
			"--detectors=threshold", "--metrics-addr=127.0.0.1:0"}, io.Discard, &stderr)
	}()
	delta := func(fams map[string]*dto.MetricFamily, name string) float64 {
		return familySum(fams[name]) - familySum(before[name])
	}
	latency := func(fams map[string]*dto.MetricFamily) *dto.Histogram {
		for _, m := range fams["beamlens_event_to_output_seconds"].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "output" && l.GetValue() == "sensor_anomalies" {
					return m.GetHistogram()
				}
			}
		}
		return nil
	}
	// await scrapes until ok holds, and returns that scrape.
	await := func(what string, ok func(map[string]*dto.MetricFamily) bool) map[string]*dto.MetricFamily {
		var fams map[string]*dto.MetricFamily
		for end := time.Now().Add(3 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
			select {
			case code := <-exit:
				t.Fatalf("the streaming job ended (exit %d): %s", code, stderr.String())
			default:
			}
			if time.Now().After(end) {
				t.Fatalf("/metrics never showed %s: read %g, anomalies %g\nstderr: %s", what,
					delta(fams, "beamlens_records_read_total"), delta(fams, "beamlens_anomalies_emitted_total"), stderr.String())
			}
			url := regexp.MustCompile(`http://\S+/metrics`).FindString(stderr.String())
			if url == "" {
				continue
			}
			if fams = scrapeFamilies(t, &url); ok(fams) {
				return fams
			}
		}
	}
	one := await("the first readings", func(f map[string]*dto.MetricFamily) bool {
		return delta(f, "beamlens_records_read_total") == first && delta(f, "beamlens_anomalies_emitted_total") == first/50 &&
			latency(f).GetSampleCount()-latency(before).GetSampleCount() >= first/50 && f["beamlens_watermark_lag_seconds"] != nil
	})
	if lag := familySum(one["beamlens_watermark_lag_seconds"]); lag < 0 || lag > 120 {
		t.Errorf("watermark lag %gs on a live topic whose newest record is from now", lag)
	}
	if done := familySum(one["beamlens_job_done"]); done != 0 {
		t.Errorf("beamlens_job_done %g while the job runs", done)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "beamlens_bundle_duration_seconds"} {
		if one[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}

	produce(second)
	two := await("the second readings", func(f map[string]*dto.MetricFamily) bool {
		return delta(f, "beamlens_records_read_total") == first+second && delta(f, "beamlens_anomalies_emitted_total") == (first+second)/50
	})
	if r1, r2 := familySum(one["beamlens_records_read_total"]), familySum(two["beamlens_records_read_total"]); r2-r1 != second {
		t.Errorf("records read went from %g to %g between two scrapes, want +%d", r1, r2, second)
	}
	// The histogram is the process's too: earlier tests' jobs (and, with
	// -count=N, earlier runs) wrote year-old readings to sensor_anomalies.
	// Only this job's samples count.
	h, h0 := latency(two), latency(before)
	n := h.GetSampleCount() - h0.GetSampleCount()
	if n < (first+second)/50 {
		t.Errorf("event-to-output latency of sensor_anomalies has %d new samples, want at least %d", n, (first+second)/50)
	}
	// Readings are stamped at most 30 s before they are produced, and the
	// job writes their anomalies within seconds.
	mean := (h.GetSampleSum() - h0.GetSampleSum()) / float64(n)
	if mean <= 0 || mean > 120 {
		t.Errorf("mean event-to-output latency %gs", mean)
	}
	t.Logf("records read %g -> %g; anomalies' event-to-output latency: %d samples, mean %.2fs",
		familySum(one["beamlens_records_read_total"])-familySum(before["beamlens_records_read_total"]),
		familySum(two["beamlens_records_read_total"])-familySum(before["beamlens_records_read_total"]),
		n, mean)
	cancel()
	select {
	case <-exit:
	case <-time.After(time.Minute):
		t.Fatal("the job did not stop on cancel")
	}
}

// scrapeFamilies parses /metrics at *url with Prometheus's text parser;
// with a nil url it gathers this process's registry directly.
func scrapeFamilies(t *testing.T, url *string) map[string]*dto.MetricFamily {
	t.Helper()
	if url == nil {
		mfs, err := metrics.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		fams := map[string]*dto.MetricFamily{}
		for _, f := range mfs {
			fams[f.GetName()] = f
		}
		return fams
	}
	resp, err := http.Get(*url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	return fams
}

// familySum is the sum of a counter's or gauge's values over its labels.
func familySum(f *dto.MetricFamily) float64 {
	sum := 0.0
	for _, m := range f.GetMetric() {
		sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	return sum
}
