package main

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
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
	for _, want := range []string{"# TYPE beamlens_records_read_total counter", "beamlens_anomalies_emitted_total ", "beamlens_dead_letters_emitted_total ", "beamlens_llm_calls_total ", "beamlens_llm_prompt_tokens_total ", "beamlens_job_done 0"} {
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
