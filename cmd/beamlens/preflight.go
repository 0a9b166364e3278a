package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/pipelines/anomaly"
	themespipe "github.com/beamlens/beamlens/pipelines/themes"
	"github.com/beamlens/beamlens/runners"
	"github.com/beamlens/beamlens/transforms/endpoint"
	"github.com/beamlens/beamlens/transforms/jsonl"
	"github.com/beamlens/beamlens/transforms/kafkaio"
	"github.com/beamlens/beamlens/transforms/pubsubio"
	"github.com/beamlens/beamlens/transforms/themes"
)

// preflightError is a check made before the job starts that failed: the
// command exits 2 with this one line, and nothing was built, submitted or
// read. A run that fails later, inside the job, costs the user the start-up
// time and buries the cause under the runner's logs.
type preflightError struct{ msg string }

func (e preflightError) Error() string { return e.msg }

func preflightf(format string, args ...any) error {
	return preflightError{fmt.Sprintf(format, args...)}
}

// preflightTimeout bounds each check that needs an answer from a service
// (a broker, Pub/Sub, the job server): long enough for a server on another
// continent, short enough that a typo is reported in seconds.
var preflightTimeout = 5 * time.Second

// overwriteFlag binds --overwrite on fs.
func overwriteFlag(fs *flag.FlagSet, p *bool) {
	fs.BoolVar(p, "overwrite", false, "a directory --output that already holds beamlens outputs is refused unless this is set: then its outputs are removed before the run, so none of an earlier run's streams is left beside the new ones")
}

// streamFiles are the files a directory output gets, from either pipeline:
// finding one in a directory means a run has written there before.
var streamFiles = func() []string {
	var out []string
	for _, s := range []string{anomaly.AnomaliesStream, anomaly.WindowStatsStream, anomaly.DeadLettersStream,
		themespipe.ReviewsStream, themespipe.CountsStream, themespipe.AlertsStream, themespipe.DeadLettersStream} {
		if !slices.Contains(out, s+".jsonl") {
			out = append(out, s+".jsonl")
		}
	}
	return out
}()

// preflight checks what can be checked before the job starts, each in a
// few seconds: the job server answers, the input topic or subscription
// exists, the output brokers answer, the output directory is usable and
// holds no earlier results (unless overwrite). The first failure is a
// preflightError.
func preflight(ctx context.Context, in, out endpoint.URI, ro runners.Options, overwrite bool) error {
	check := func(what string, fn func(context.Context) error) error {
		cctx, cancel := context.WithTimeout(ctx, preflightTimeout)
		defer cancel()
		if err := fn(cctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return preflightf("%s: %v", what, err)
		}
		return nil
	}
	if err := check("--runner=flink", func(ctx context.Context) error { return runners.CheckJobServer(ctx, ro) }); err != nil {
		return err
	}
	switch in.Kind {
	case endpoint.Kafka:
		if err := check("--input", func(ctx context.Context) error {
			err := kafkaio.CheckTopic(ctx, kafkaConnect(in), in.Topic)
			if errors.Is(err, kafkaio.ErrTopicNotFound) {
				return fmt.Errorf("%w on %s (check the name; create it with your Kafka tools)", err, strings.Join(in.Brokers, ","))
			}
			return err
		}); err != nil {
			return err
		}
	case endpoint.PubSub:
		if err := check("--input", func(ctx context.Context) error {
			return pubsubio.CheckSubscription(ctx, in.Project, in.Subscription)
		}); err != nil {
			return err
		}
	}
	switch out.Kind {
	case endpoint.Kafka:
		// Missing output topics are created; the brokers must answer.
		if err := check("--output", func(ctx context.Context) error {
			err := kafkaio.CheckTopic(ctx, kafkaConnect(out), out.Topic)
			if errors.Is(err, kafkaio.ErrTopicNotFound) {
				return nil
			}
			return err
		}); err != nil {
			return err
		}
	case endpoint.File:
		if err := checkOutputDir(out.Path, overwrite); err != nil {
			return err
		}
	}
	return nil
}

func kafkaConnect(u endpoint.URI) kafkaio.Connect {
	return kafkaio.Connect{Brokers: u.Brokers, SASL: u.Kafka.SASL, TLS: u.Kafka.TLS}
}

// checkOutputDir refuses a directory output that cannot work or would
// silently replace earlier results: a name ending in .jsonl (a file where a
// directory is meant), an existing file, a directory that already holds
// beamlens outputs (unless overwrite), or one that cannot be written.
func checkOutputDir(dir string, overwrite bool) error {
	if strings.EqualFold(filepath.Ext(dir), ".jsonl") {
		base := strings.TrimSuffix(dir, filepath.Ext(dir))
		return preflightf("--output=%s: an output is a directory that gets one .jsonl file per stream (%s, ...); write --output=%s, or --output=- for stdout",
			dir, streamFiles[0], base)
	}
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return preflightf("--output=%s exists and is a file: an output is a directory that gets one .jsonl file per stream", dir)
	case err == nil && !overwrite:
		var found []string
		for _, name := range streamFiles {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				found = append(found, name)
			}
		}
		if len(found) > 0 {
			return preflightf("--output=%s already holds beamlens outputs (%s): add --overwrite to replace them, or choose another directory",
				dir, strings.Join(found, ", "))
		}
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return preflightf("--output=%s: %v", dir, err)
	}
	if err := clearOutputDir(dir, overwrite); err != nil {
		return preflightf("--output=%s: %v", dir, unwrapPath(err))
	}
	// The sinks create the directory; make sure they will be able to.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return preflightf("--output=%s cannot be created: %v", dir, unwrapPath(err))
	}
	f, err := os.CreateTemp(dir, ".beamlens-check-*")
	if err != nil {
		return preflightf("--output=%s is not writable: %v", dir, unwrapPath(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// clearOutputDir removes from dir what a stopped run left (hidden shards
// and temporary files, never results) and, with overwrite, the stream files
// of earlier runs: a run that writes fewer streams (--window=off, the other
// pipeline) must not leave an older run's beside its own.
func clearOutputDir(dir string, overwrite bool) error {
	for _, name := range streamFiles {
		path := filepath.Join(dir, name)
		if err := jsonl.RemoveLeftovers(path); err != nil {
			return err
		}
		if overwrite {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// removeStoppedLeftovers removes the hidden shards a file output's sinks
// left when the job was cancelled before they finished (a bounded job
// stopped with Ctrl-C); a finished job leaves none.
func removeStoppedLeftovers(out endpoint.URI, err error) {
	if out.Kind != endpoint.File || !errors.Is(err, runners.ErrCancelled) {
		return
	}
	for _, name := range streamFiles {
		jsonl.RemoveLeftovers(filepath.Join(out.Path, name))
	}
}

// unwrapPath drops the path from a *PathError: the message names it.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// preflightLLM checks that the LLM server answers and takes the key, when
// the themes pipeline will call one (not with the offline model).
func preflightLLM(ctx context.Context, ext themes.ExtractOptions) error {
	if ext.Kind != themes.KindOpenAI {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	if err := llm.Ping(cctx, ext.LLM); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return preflightf("--llm-base-url: %v", err)
	}
	return nil
}
