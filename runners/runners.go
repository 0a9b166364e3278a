package runners

import (
	"context"
	"flag"
	"fmt"
	"os"
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
}

// boundedExperiment marks a job whose input ends, for the patched Flink job
// server of scripts/flink.sh (a stock job server ignores it).
const boundedExperiment = "beamlens_bounded"

// beamFlags are Beam's global job flags that beamlens passes through.
var beamFlags = []string{"endpoint", "environment_type", "environment_config", "parallelism", "job_name"}

// Bind adds --runner, --verbose and Beam's pass-through job flags to fs.
func Bind(fs *flag.FlagSet, o *Options) {
	fs.StringVar(&o.Runner, "runner", Default, "Beam runner: "+strings.Join(Names, ", "))
	fs.BoolVar(&o.Verbose, "verbose", false, "keep the runner's own INFO logs")
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
	return nil
}

// Run executes p on the selected runner and returns its metrics (empty when
// the runner reports none).
func Run(ctx context.Context, p *beam.Pipeline, o Options) (metrics.QueryResults, error) {
	if !o.Verbose {
		QuietLogs(os.Stderr, false)
	}
	if o.Runner == "flink" && o.Bounded && !slices.Contains(jobopts.GetExperiments(), boundedExperiment) {
		*jobopts.Experiments = strings.Join(append(jobopts.GetExperiments(), boundedExperiment), ",")
	}
	if o.Runner == "flink" && *jobopts.EnvironmentType == "" {
		// The Go SDK's default environment is a Docker container, which a
		// local job server cannot start without Docker; loopback runs the
		// workers in this process.
		*jobopts.EnvironmentType = "LOOPBACK"
	}
	var res beam.PipelineResult
	var err error
	if o.Runner == "flink" {
		res, err = runFlink(ctx, p, o)
	} else {
		res, err = beam.Run(ctx, o.Runner, p)
	}
	if err != nil {
		return metrics.QueryResults{}, err
	}
	if res == nil {
		return metrics.QueryResults{}, nil
	}
	return res.Metrics().AllMetrics(), nil
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
