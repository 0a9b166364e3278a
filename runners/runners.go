package runners

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"

	// Runner registrations.
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/dataflow"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/direct"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/flink"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
)

// Names lists the runners beamlens supports.
var Names = []string{"prism", "direct", "flink", "dataflow"}

// Default is the runner used when --runner is not given.
const Default = "prism"

// Options selects and configures the runner.
type Options struct {
	// Runner is one of Names. Default "prism".
	Runner string
	// Verbose keeps the runner's own INFO logs; by default only warnings
	// and errors reach stderr.
	Verbose bool
	// JobLabel names the pipeline in generated job names on Flink
	// ("beamlens-<label>-<pid>-<time>") unless --job_name is given.
	// Default "job".
	JobLabel string
	// Bounded says the job's input ends (files, a --bounded read). On
	// Flink it tells beamlens's job server patch (scripts/flink.sh) to let
	// the job finish even when the server checkpoints: Beam otherwise keeps
	// a checkpointed job's sources alive forever. Default false.
	Bounded bool
	// FlinkSavepoint, on Flink, starts the job from this savepoint (a path
	// that scripts/flink.sh savepoint printed); it needs the patched job
	// server of scripts/flink.sh, which reads it from the job's
	// experiments (the Go SDK cannot pass Flink's own savepoint option).
	// Default "": a fresh start.
	FlinkSavepoint string
}

// boundedExperiment marks a job whose input ends, for the patched Flink job
// server of scripts/flink.sh (a stock job server ignores it);
// savepointExperiment, followed by a path, starts the job from a savepoint.
const (
	boundedExperiment   = "beamlens_bounded"
	savepointExperiment = "beamlens_savepoint="
)

// beamFlags are Beam's global job flags that beamlens passes through.
// worker_binary is the Go binary a runner's own workers run (PROCESS or
// DOCKER environments); beamlens defaults it to itself, see Run. async
// returns once the job is submitted, for workers that do not live in this
// process.
var beamFlags = []string{"endpoint", "environment_type", "environment_config", "parallelism", "job_name", "worker_binary", "async"}

// Bind adds --runner, --verbose, --flink-savepoint and Beam's pass-through
// job flags to fs.
func Bind(fs *flag.FlagSet, o *Options) {
	fs.StringVar(&o.Runner, "runner", Default, "Beam runner: "+strings.Join(Names, ", "))
	fs.BoolVar(&o.Verbose, "verbose", false, "keep the runner's own INFO logs")
	fs.StringVar(&o.FlinkSavepoint, "flink-savepoint", "", "--runner=flink: start the job from the savepoint at `PATH` (what scripts/flink.sh savepoint prints; needs its patched job server)")
	for _, name := range beamFlags {
		f := flag.CommandLine.Lookup(name)
		if f == nil {
			continue
		}
		fs.Var(f.Value, name, "Beam: "+f.Usage)
	}
}

// Validate checks the options before anything is built.
func (o Options) Validate() error {
	if !slices.Contains(Names, o.Runner) {
		return fmt.Errorf("unknown runner %q (known: %s)", o.Runner, strings.Join(Names, ", "))
	}
	if o.Runner == "flink" && *jobopts.Endpoint == "" {
		return fmt.Errorf("--runner=flink needs --endpoint=HOST:PORT of a Beam Flink job server (scripts/flink.sh start serves localhost:8099)")
	}
	if o.FlinkSavepoint != "" && o.Runner != "flink" {
		return fmt.Errorf("--flink-savepoint needs --runner=flink")
	}
	if *jobopts.Async && (o.Runner != "flink" || loopback()) {
		return fmt.Errorf("--async needs --runner=flink with workers outside this process (--environment_type=PROCESS, EXTERNAL or DOCKER): LOOPBACK workers die with it")
	}
	return nil
}

// loopback reports whether the job's workers run in this process: Beam's
// LOOPBACK environment, which beamlens picks for Flink when none is given.
func loopback() bool {
	t := strings.ToUpper(*jobopts.EnvironmentType)
	return t == "" || t == "LOOPBACK"
}

// Run executes p on the selected runner and returns its metrics (empty when
// the runner reports none).
func Run(ctx context.Context, p *beam.Pipeline, o Options) (metrics.QueryResults, error) {
	if !o.Verbose {
		QuietLogs(os.Stderr, false)
	}
	if o.Runner == "flink" {
		o.setFlinkJobFlags()
	}
	var res beam.PipelineResult
	run := func() (err error) {
		if o.Runner == "flink" {
			res, err = runFlink(ctx, p, o)
		} else {
			res, err = beam.Run(ctx, o.Runner, p)
		}
		return err
	}
	var err error
	if loopback() {
		err = withPrivateTempDir(run)
	} else {
		err = run()
	}
	if err != nil {
		return metrics.QueryResults{}, err
	}
	if res == nil || (o.Runner == "flink" && *jobopts.Async) {
		// An async submission's result has no job behind it to ask.
		return metrics.QueryResults{}, nil
	}
	return res.Metrics().AllMetrics(), nil
}

// setFlinkJobFlags sets Beam's job flags that a Flink run needs and the user
// left unset: the experiments for the patched job server, the worker
// environment and the worker binary.
func (o Options) setFlinkJobFlags() {
	if o.Bounded && !slices.Contains(jobopts.GetExperiments(), boundedExperiment) {
		*jobopts.Experiments = strings.Join(append(jobopts.GetExperiments(), boundedExperiment), ",")
	}
	if o.FlinkSavepoint != "" {
		*jobopts.Experiments = strings.Join(append(jobopts.GetExperiments(), savepointExperiment+o.FlinkSavepoint), ",")
	}
	if *jobopts.EnvironmentType == "" {
		// The Go SDK's default environment is a Docker container, which a
		// local job server cannot start without Docker; loopback runs the
		// workers in this process.
		*jobopts.EnvironmentType = "LOOPBACK"
	}
	if !loopback() && *jobopts.WorkerBinary == "" && runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		// Workers the runner starts (PROCESS: Beam's Go boot program on a
		// TaskManager; DOCKER) run a staged Go binary. Without one the SDK
		// cross-compiles the main package from source, which fails for an
		// installed binary with no source tree at hand; this binary is
		// already what the workers must run.
		if self, err := os.Executable(); err == nil {
			*jobopts.WorkerBinary = self
		}
	}
}

// Counters sums the counters of one namespace by name, across transforms.
func Counters(qr metrics.QueryResults, namespace string) map[string]int64 {
	out := map[string]int64{}
	for _, c := range qr.Counters() {
		if c.Namespace() == namespace {
			out[c.Name()] += c.Result()
		}
	}
	return out
}
