package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
)

// Namespace is the first part of every beamlens metric's name, Prometheus
// and Beam alike ("beamlens_records_read_total", Beam counter
// "beamlens/records_read").
const Namespace = "beamlens"

// Registry holds every live metric of the process: what /metrics serves.
var Registry = prometheus.NewRegistry()

func init() {
	Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
}

func counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help})
	Registry.MustRegister(c)
	return c
}

func histogram(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets}, labels)
	Registry.MustRegister(h)
	return h
}

// Records in and out, counted by the sources and sinks.
var (
	RecordsRead = counter("records_read_total",
		"Records read from the input (files, Kafka, Pub/Sub) by this process's workers.")
	RecordsWritten = counter("records_written_total",
		"Records written to the outputs (every stream: files, stdout, Kafka, Pub/Sub) by this process's workers.")
	AnomaliesEmitted = counter("anomalies_emitted_total",
		"Anomalies (or, with every score kept, scores) emitted by this process's workers.")
	DeadLettersEmitted = counter("dead_letters_emitted_total",
		"Dead letters emitted by this process's workers.")
	Coerced = counter("coerced_total",
		"Metric values read from decimal strings (\"1520.5\") by this process's workers.")
	DuplicatesDropped = counter("duplicates_dropped_total",
		"Redelivered readings dropped by --dedup in this process's workers.")
)

// The LLM client's work, summed over every extractor of the process.
var (
	LLMCalls            = counter("llm_calls_total", "HTTP requests sent to the LLM, retries included.")
	LLMRetries          = counter("llm_retries_total", "LLM requests sent again after a 429, a 5xx, a timeout or a reset.")
	LLMAnswerRetries    = counter("llm_answer_retries_total", "LLM requests sent again for answers that broke the contract.")
	LLMSplits           = counter("llm_splits_total", "Batches the LLM refused or answered badly that were halved to find the review at fault.")
	LLMCacheHits        = counter("llm_cache_hits_total", "Reviews answered from the cache or as duplicates within a call.")
	LLMItems            = counter("llm_items_total", "Distinct review texts the LLM answered.")
	LLMItemsFailed      = counter("llm_items_failed_total", "Reviews the LLM could not answer (dead-lettered).")
	LLMPromptTokens     = counter("llm_prompt_tokens_total", "Prompt tokens the LLM service reported.")
	LLMCompletionTokens = counter("llm_completion_tokens_total", "Completion tokens the LLM service reported.")
	LLMDowngrades       = counter("llm_format_downgrades_total", "Times the response format stepped down after the LLM server refused it.")
	LLMRateLimited      = counter("llm_rate_limited_total", "LLM requests the service answered 429 (each slows the client's pace).")
	LLMBreakerOpens     = counter("llm_breaker_opens_total", "Times the circuit breaker opened: the LLM failed a request through all its retries and every request waited for a probe.")
	LLMGaveUp           = counter("llm_gave_up_total", "Distinct reviews dead-lettered because the LLM stayed down past --llm-give-up-after.")
)

// Latency histograms, in seconds.
var (
	// EventToOutput is observed by the streaming sinks (Kafka, Pub/Sub,
	// stdout) once a record is written: the clock minus the record's event
	// time. An anomaly carries its reading's event time, a window record
	// its window's end, so the latency of window records includes the
	// window itself. Files are written when their stream is complete and
	// are not observed.
	EventToOutput = histogram("event_to_output_seconds",
		"From a record's event time (an anomaly's reading, a window's end) to when a sink wrote it, by output (topic, or stdout).",
		[]float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}, "output")
	// LLMRequest is observed once per HTTP request to the LLM, whatever
	// its answer.
	LLMRequest = histogram("llm_request_seconds",
		"Duration of each HTTP request to the LLM, retries counted one by one, by outcome (ok, or error).",
		[]float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60, 120}, "outcome")
	// BundleDuration is observed by the DoFns that batch their work per
	// bundle (the sinks, the LLM extraction, model scoring), from
	// StartBundle to the end of FinishBundle.
	BundleDuration = histogram("bundle_duration_seconds",
		"Duration of a bundle, from StartBundle to the end of FinishBundle, by stage.",
		[]float64{.001, .005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}, "stage")
)

// Since observes the time elapsed since start, in seconds, on h.
func Since(h prometheus.Observer, start time.Time) {
	h.Observe(time.Since(start).Seconds())
}

// Value reads a counter or gauge, for the progress line and the summary:
// 0 for anything else.
func Value(c prometheus.Metric) float64 {
	var m dto.Metric
	if c.Write(&m) != nil {
		return 0
	}
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return 0
}

// Count is Value as a whole number, for counters of things.
func Count(c prometheus.Metric) int64 { return int64(Value(c)) }

// ObserveEventTime observes on h the time from eventMs, a record's event
// time in Unix milliseconds, to now. Event times at or before 1970 are
// Beam's "no time" (the global window's minimum, a FinishBundle emit at
// time 0), not a record's: they are not observed.
func ObserveEventTime(h prometheus.Observer, eventMs int64, now time.Time) {
	if eventMs > 0 {
		h.Observe(float64(now.UnixMilli()-eventMs) / 1e3)
	}
}
