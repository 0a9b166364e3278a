package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/runners"
	"github.com/beamlens/beamlens/view"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsServer serves a running pipeline's progress on /metrics: the
// process's live metrics (internal/metrics: records read and written,
// anomalies, dead letters, the LLM's work, latency histograms, the Go and
// process collectors) while the job runs, and the job's own gauges
// (beamlens_elapsed_seconds, beamlens_job_done and, once it ends, Beam's
// final counters as beamlens_job_*). With prism and Flink's LOOPBACK
// environment the workers run here, so the live metrics are the whole job.
type metricsServer struct {
	srv *http.Server
	job *jobCollector
}

// startMetrics serves /metrics on addr, a loopback address.
func startMetrics(addr string, stderr io.Writer) (*metricsServer, error) {
	ln, err := view.Listen(addr, false)
	if errors.Is(err, view.ErrNotLoopback) {
		return nil, usagef("--metrics-addr %v: /metrics is served on loopback addresses only", err)
	}
	if err != nil {
		return nil, usagef("--metrics-addr %v", err)
	}
	m := &metricsServer{job: newJobCollector(time.Now())}
	job := prometheus.NewRegistry()
	job.MustRegister(m.job)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(prometheus.Gatherers{metrics.Registry, job}, promhttp.HandlerOpts{}))
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go m.srv.Serve(ln)
	fmt.Fprintf(stderr, "beamlens: metrics on http://%s/metrics\n", ln.Addr())
	return m, nil
}

// finish adds the job's final Beam counters.
func (m *metricsServer) finish(counts map[string]int64) { m.job.finish(counts) }

func (m *metricsServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	m.srv.Shutdown(ctx)
}

// jobCollector is one job's gauges: how long it has run, whether it has
// ended and, once it has, Beam's final counters. The process's registry
// outlives a job (the demo runs two), so these live in a registry of the
// server's own.
type jobCollector struct {
	start         time.Time
	elapsed, done *prometheus.Desc
	mu            sync.Mutex
	final         map[string]int64
}

func newJobCollector(start time.Time) *jobCollector {
	return &jobCollector{
		start:   start,
		elapsed: prometheus.NewDesc(metrics.Namespace+"_elapsed_seconds", "Seconds since the job started.", nil, nil),
		done:    prometheus.NewDesc(metrics.Namespace+"_job_done", "1 once the job has ended and its Beam counters are below.", nil, nil),
	}
}

func (c *jobCollector) finish(counts map[string]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.final = map[string]int64{}
	for k, v := range counts {
		c.final[k] = v
	}
}

// Describe sends nothing: the final counters' names are known only once
// the job ends, which makes this an unchecked collector.
func (c *jobCollector) Describe(chan<- *prometheus.Desc) {}

func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.elapsed, prometheus.GaugeValue, time.Since(c.start).Seconds())
	c.mu.Lock()
	defer c.mu.Unlock()
	done := 0.0
	if c.final != nil {
		done = 1
	}
	ch <- prometheus.MustNewConstMetric(c.done, prometheus.GaugeValue, done)
	for n, v := range c.final {
		d := prometheus.NewDesc(metrics.Namespace+"_job_"+metricName(n), "Beam counter "+n+" at the end of the job.", nil, nil)
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
}

// metricName turns a Beam counter's name into a Prometheus name's tail.
func metricName(n string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, strings.ToLower(n))
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
