package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/runners"
	"github.com/beamlens/beamlens/transforms/deadletter"
	"github.com/beamlens/beamlens/transforms/decode"
	"github.com/beamlens/beamlens/transforms/dedup"
	"github.com/beamlens/beamlens/transforms/detect"
	"github.com/beamlens/beamlens/view"
)

// metricsServer serves a running pipeline's progress in Prometheus's text
// format on /metrics. While the job runs it reports what this process's
// workers counted (records read, anomalies, dead letters): with prism and
// Flink's LOOPBACK environment the workers run here, so that is the whole
// job. When the job ends, Beam's own counters are added.
type metricsServer struct {
	start time.Time
	srv   *http.Server
	mu    sync.Mutex
	final map[string]int64
}

// startMetrics serves /metrics on addr, a loopback address.
func startMetrics(addr string, stderr io.Writer) (*metricsServer, error) {
	ln, err := view.Listen(addr, false)
	if err != nil {
		return nil, usagef("--metrics-addr: %v", err)
	}
	m := &metricsServer{start: time.Now()}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", m.serve)
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go m.srv.Serve(ln)
	fmt.Fprintf(stderr, "beamlens: metrics on http://%s/metrics\n", ln.Addr())
	return m, nil
}

func (m *metricsServer) serve(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	metric := func(name, kind, help string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %g\n", name, help, name, kind, name, v)
	}
	metric("beamlens_records_read_total", "counter", "Records read from the input by this process's workers.", float64(recordsRead()))
	metric("beamlens_records_written_total", "counter", "Records written to the outputs (every stream: files, stdout, Kafka, Pub/Sub) by this process's workers.", float64(recordsWritten()))
	metric("beamlens_anomalies_emitted_total", "counter", "Anomalies emitted by this process's workers.", float64(detect.Emitted()))
	metric("beamlens_dead_letters_emitted_total", "counter", "Dead letters emitted by this process's workers.", float64(deadletter.Emitted()))
	metric("beamlens_coerced_total", "counter", "Metric values read from decimal strings (\"1520.5\") by this process's workers.", float64(decode.Coerced()))
	metric("beamlens_duplicates_dropped_total", "counter", "Redelivered readings dropped by --dedup in this process's workers.", float64(dedup.Dropped()))
	llmStats := llm.ProcessStats()
	for _, c := range []struct {
		name, help string
		v          int64
	}{
		{"beamlens_llm_calls_total", "HTTP requests sent to the LLM, retries included.", llmStats.Calls},
		{"beamlens_llm_retries_total", "LLM requests sent again after a 429, a 5xx, a timeout or a reset.", llmStats.Retries},
		{"beamlens_llm_answer_retries_total", "LLM requests sent again for answers that broke the contract.", llmStats.AnswerRetries},
		{"beamlens_llm_cache_hits_total", "Reviews answered from the cache or as duplicates within a call.", llmStats.CacheHits},
		{"beamlens_llm_items_failed_total", "Reviews the LLM could not answer (dead-lettered).", llmStats.ItemsFailed},
		{"beamlens_llm_prompt_tokens_total", "Prompt tokens the LLM service reported.", llmStats.PromptTokens},
		{"beamlens_llm_completion_tokens_total", "Completion tokens the LLM service reported.", llmStats.CompletionTokens},
		{"beamlens_llm_rate_limited_total", "LLM requests the service answered 429 (each slows the client's pace).", llmStats.RateLimited},
		{"beamlens_llm_splits_total", "Batches the LLM refused or answered badly that were halved to find the review at fault.", llmStats.Splits},
		{"beamlens_llm_format_downgrades_total", "Times the response format stepped down after the LLM server refused it.", llmStats.Downgrades},
		{"beamlens_llm_breaker_opens_total", "Times the circuit breaker opened: the LLM failed a request through all its retries and every request waited for a probe.", llmStats.BreakerOpens},
		{"beamlens_llm_gave_up_total", "Distinct reviews dead-lettered because the LLM stayed down past --llm-give-up-after.", llmStats.GaveUp},
	} {
		metric(c.name, "counter", c.help, float64(c.v))
	}
	if lag, ok := watermarkLag(time.Now()); ok {
		metric("beamlens_watermark_lag_seconds", "gauge", "How far the oldest watermark of this process's Kafka and Pub/Sub reads trails the clock.", lag.Seconds())
	}
	metric("beamlens_elapsed_seconds", "gauge", "Seconds since the job started.", time.Since(m.start).Seconds())
	m.mu.Lock()
	defer m.mu.Unlock()
	done := 0.0
	if m.final != nil {
		done = 1
	}
	metric("beamlens_job_done", "gauge", "1 once the job has ended and its Beam counters are below.", done)
	names := make([]string, 0, len(m.final))
	for n := range m.final {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		name := "beamlens_job_" + strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
				return r
			}
			return '_'
		}, strings.ToLower(n))
		metric(name, "gauge", "Beam counter "+n+" at the end of the job.", float64(m.final[n]))
	}
}

// finish adds the job's final Beam counters.
func (m *metricsServer) finish(counts map[string]int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.final = map[string]int64{}
	for k, v := range counts {
		m.final[k] = v
	}
}

func (m *metricsServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	m.srv.Shutdown(ctx)
}

// runWithMetrics is buildAndRun with the job's report, serving /metrics
// meanwhile when addr is set.
func runWithMetrics(ctx context.Context, addr string, build func(beam.Scope), o runners.Options, stderr io.Writer) error {
	if addr == "" {
		_, err := buildAndRun(ctx, build, o, stderr, true)
		return err
	}
	m, err := startMetrics(addr, stderr)
	if err != nil {
		return err
	}
	defer m.close()
	counts, err := buildAndRun(ctx, build, o, stderr, true)
	if err == nil {
		m.finish(counts)
	}
	return err
}
