package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"sort"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/runners"
)

// progressEvery is how often a running job reports on stderr; the first
// report comes after one period, so short runs stay quiet.
var progressEvery = 5 * time.Second

// buildAndRun builds a pipeline with build, runs it with execute, and, when
// report is set, prints its counters.
func buildAndRun(ctx context.Context, build func(beam.Scope), o runners.Options, stderr io.Writer, report bool) (map[string]int64, error) {
	runners.QuietLogs(os.Stderr, o.Verbose) // before build: Beam warns while building
	p, s := beam.NewPipelineWithRoot()
	build(s)
	counts, err := execute(ctx, p, o, stderr)
	if (err == nil || errors.Is(err, runners.ErrCancelled)) && report {
		printCounters(stderr, counts)
	}
	return counts, err
}

// beforeRun, when set, sees each pipeline just before it runs: tests use it
// to check what would be serialised and shipped to workers.
var beforeRun func(*beam.Pipeline)

// execute runs p, printing a progress line every progressEvery, and returns
// the beamlens counters.
func execute(ctx context.Context, p *beam.Pipeline, o runners.Options, stderr io.Writer) (map[string]int64, error) {
	if beforeRun != nil {
		beforeRun(p)
	}
	start := time.Now()
	pr := newProgress(o.Runner, start, recordsRead(), recordsWritten())
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				now := time.Now()
				lag, hasLag := metrics.WatermarkLag(now)
				fmt.Fprintln(stderr, pr.line(now, recordsRead(), recordsWritten(), lag, hasLag))
			}
		}
	}()
	qr, err := runStoppable(ctx, p, o, stderr)
	close(done)
	<-stopped
	if err != nil && !errors.Is(err, runners.ErrCancelled) {
		return nil, fmt.Errorf("pipeline failed on %s: %w", o.Runner, err)
	}
	counts := runners.Counters(qr, metrics.Namespace)
	if len(counts) == 0 && err != nil {
		// Cancelled without the runner's counters: this process's own.
		counts["records_read"], counts["records_written"] = recordsRead(), recordsWritten()
	}
	counts["elapsed_ms"] = time.Since(start).Milliseconds()
	return counts, err
}

// recordsRead is how many records this process's workers have read so far,
// from every source; with loopback workers (prism, Flink LOOPBACK) that is
// the whole job.
func recordsRead() int64 { return metrics.Count(metrics.RecordsRead) }

// recordsWritten is how many records this process's workers have written
// to every sink so far (files, stdout, Kafka, Pub/Sub).
func recordsWritten() int64 { return metrics.Count(metrics.RecordsWritten) }

// printCounters prints the run's Beam counters, and the LLM usage this
// process's extractors counted (tokens and retries have no Beam counter),
// one per line, sorted.
func printCounters(w io.Writer, counts map[string]int64) {
	counts = maps.Clone(counts)
	if st := llm.ProcessStats(); st.Calls > 0 {
		counts["llm_requests"] = st.Calls
		counts["llm_retries"] = st.Retries
		counts["llm_answer_retries"] = st.AnswerRetries
		counts["llm_prompt_tokens"] = st.PromptTokens
		counts["llm_completion_tokens"] = st.CompletionTokens
		counts["llm_rate_limited"] = st.RateLimited
		counts["llm_splits"] = st.Splits
		counts["llm_format_downgrades"] = st.Downgrades
		counts["llm_breaker_opens"] = st.BreakerOpens
		counts["llm_gave_up"] = st.GaveUp
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "beamlens: done.")
	for _, n := range names {
		fmt.Fprintf(w, "  %-28s %d\n", n, counts[n])
	}
}
