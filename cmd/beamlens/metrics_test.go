package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beamlens/beamlens/transforms/detect"
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
	if _, err := startMetrics("0.0.0.0:0", &log); err == nil {
		t.Error("--metrics-addr accepted a non-loopback address")
	}
}

// TestMetricsWhileAStreamingJobRuns runs `anomalies --metrics-addr` on an
// unbounded Kafka input and reads /metrics while the job runs: records in
// and out and the watermark lag move before the job ends.
func TestMetricsWhileAStreamingJobRuns(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "sensor_data", "sensor_anomalies", "sensor_window_stats", "sensor_data.dlq"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	const n = 300
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
	// The counters are the process's: other tests' jobs count too.
	baseRead, baseWritten, baseAnomalies := float64(recordsRead()), float64(recordsWritten()), float64(detect.Emitted())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"anomalies", "--input=kafka://" + addr + "/sensor_data", "--output=kafka://" + addr + "/sensor_anomalies",
			"--detectors=threshold", "--metrics-addr=127.0.0.1:0"}, io.Discard, &stderr)
	}()
	value := func(body, name string) (float64, bool) {
		m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
		if m == nil {
			return 0, false
		}
		v, err := strconv.ParseFloat(m[1], 64)
		return v, err == nil
	}
	var body string
	for end := time.Now().Add(3 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		select {
		case code := <-exit:
			t.Fatalf("the streaming job ended (exit %d): %s", code, stderr.String())
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("/metrics never showed the job's progress:\n%s\nstderr: %s", body, stderr.String())
		}
		url := regexp.MustCompile(`http://\S+/metrics`).FindString(stderr.String())
		if url == "" {
			continue
		}
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		read, _ := value(body, "beamlens_records_read_total")
		written, _ := value(body, "beamlens_records_written_total")
		anomalies, _ := value(body, "beamlens_anomalies_emitted_total")
		read, written, anomalies = read-baseRead, written-baseWritten, anomalies-baseAnomalies
		_, hasLag := value(body, "beamlens_watermark_lag_seconds")
		if read == n && anomalies == n/50 && written >= anomalies && hasLag {
			break
		}
	}
	t.Logf("/metrics while the job runs:\n%s", body)
	if lag, _ := value(body, "beamlens_watermark_lag_seconds"); lag < 0 || lag > 120 {
		t.Errorf("watermark lag %gs on a live topic whose newest record is from now", lag)
	}
	if done, _ := value(body, "beamlens_job_done"); done != 0 {
		t.Errorf("beamlens_job_done %g while the job runs", done)
	}
	cancel()
	select {
	case <-exit:
	case <-time.After(time.Minute):
		t.Fatal("the job did not stop on cancel")
	}
}
