package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	"github.com/beamlens/beamlens/internal/drain"
	"github.com/beamlens/beamlens/runners"
)

// drainTimeout bounds a clean stop: a pipeline that has not finished this
// long after its sources were asked to stop is cancelled.
var drainTimeout = time.Minute

// errStopped reports a job stopped on request (Ctrl-C, SIGTERM) that
// finished cleanly: its sources stopped and it wrote what it held.
var errStopped = fmt.Errorf("stopped on request: %w", runners.ErrCancelled)

// runStoppable runs p until it ends or ctx ends (the first Ctrl-C or
// SIGTERM; main restores the default handling then, so a second one kills
// the process at once).
//
// On Flink, runners.Run cancels the job through the job server. On prism
// (and direct) a streaming job drains: its Kafka and Pub/Sub reads stop at
// their next resume (internal/drain), commit their offsets or acknowledge
// their messages, the watermark reaches the end, every window fires, the
// sinks write, and the job finishes by itself, with its counters; err is
// then errStopped. A bounded job (files, --bounded), which a rerun
// repeats, is cancelled at once, as is a drain that takes longer than
// drainTimeout: prism then reports no counters, and the caller shows this
// process's own.
func runStoppable(ctx context.Context, p *beam.Pipeline, o runners.Options, stderr io.Writer) (metrics.QueryResults, error) {
	if o.Runner == "flink" {
		return runners.Run(ctx, p, o)
	}
	jobCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	defer drain.Reset() // the stop was for this job only
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-finished:
			return
		case <-ctx.Done():
		}
		if o.Bounded {
			fmt.Fprintln(stderr, "beamlens: stopping: cancelling the job (its input is bounded: run it again to redo it)")
			cancel()
			return
		}
		fmt.Fprintf(stderr, "beamlens: stopping: the sources stop reading and the pipeline writes what it holds (up to %s; Ctrl-C again to exit at once)\n", drainTimeout)
		drain.Request()
		select {
		case <-finished:
		case <-time.After(drainTimeout):
			fmt.Fprintf(stderr, "beamlens: stopping: the pipeline did not finish within %s: cancelling it\n", drainTimeout)
			cancel()
		}
	}()
	qr, err := runners.Run(jobCtx, p, o)
	if ctx.Err() == nil {
		return qr, err
	}
	if err == nil {
		return qr, errStopped
	}
	if jobCtx.Err() != nil {
		// We cancelled it: prism reports that as a failure (its metrics
		// are gone with the job's context).
		return qr, runners.ErrCancelled
	}
	return qr, err
}
