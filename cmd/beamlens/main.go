package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"syscall"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/runners"
)

// usageError marks a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"anomalies", "detect sensor anomalies: --input=URI --output=URI", runAnomalies},
		{"themes", "extract review themes with an LLM, count and trend them: --input=URI --output=URI", runThemes},
		{"gen", "generate labelled synthetic data: gen sensors|reviews --n=N --seed=S --out=FILE", runGen},
		{"demo", "run both pipelines on generated streams (no services, no API key needed)", runDemo},
		{"view", "a live view of the outputs in the browser: view --dir=DIR | --anomalies=FILE --stats=FILE --themes=FILE", runView},
		{"eval", "score the detectors on a benchmark: eval nab --corpus=DIR [--detectors=...] [--out=DIR]", runEval},
	}
}

func main() {
	// When a runner starts this binary as a Beam worker it passes Beam's
	// flags and no subcommand; beam.Init then serves the worker and exits.
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "--") && workerMode(os.Args[1:]) {
		flag.Parse()
		beam.Init()
		return
	}
	// Not a worker: Init only marks Beam initialised (Beam's flags stay
	// unparsed; each subcommand binds the ones it needs).
	beam.Init()
	if path := os.Getenv("BEAMLENS_CPUPROFILE"); path != "" {
		startCPUProfile(path)
	}
	if path := os.Getenv("BEAMLENS_HEAPPROFILE"); path != "" {
		go keepPeakHeapProfile(path)
	}
	if path := os.Getenv("BEAMLENS_TRACE"); path != "" {
		startTrace(path)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal starts a clean stop, a second one kills at once.
	go func() { <-ctx.Done(); stop() }()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if stopProfile != nil {
		stopProfile()
	}
	if stopTrace != nil {
		stopTrace()
	}
	os.Exit(code)
}

// stopProfile ends the CPU profile started from BEAMLENS_CPUPROFILE; os.Exit
// skips deferred calls, so main calls it by hand.
var stopProfile func()

// startCPUProfile profiles the whole run into path: with prism the workers
// run in this process, so the profile covers the pipeline's hot path too.
func startCPUProfile(path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "beamlens: BEAMLENS_CPUPROFILE: %v\n", err)
		return
	}
	stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
}

// stopTrace ends the execution trace started from BEAMLENS_TRACE.
var stopTrace func()

// startTrace writes a runtime execution trace of the whole run to path
// (go tool trace): where the pipeline's goroutines wait, not only where
// they spend CPU.
func startTrace(path string) {
	f, err := os.Create(path)
	if err == nil {
		err = trace.Start(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "beamlens: BEAMLENS_TRACE: %v\n", err)
		return
	}
	stopTrace = func() { trace.Stop(); f.Close() }
}

// keepPeakHeapProfile writes a heap profile to path each time the heap in use
// reaches a new high (checked every 250 ms), so that the file holds what was
// live at the run's peak, which is what peak RSS is made of; a profile at
// exit would show the heap after the pipeline let go of it.
func keepPeakHeapProfile(path string) {
	var peak uint64
	var ms runtime.MemStats
	for range time.Tick(250 * time.Millisecond) {
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse < peak+peak/20 {
			continue
		}
		peak = ms.HeapInuse
		f, err := os.Create(path)
		if err == nil {
			err = pprof.WriteHeapProfile(f)
			f.Close()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "beamlens: BEAMLENS_HEAPPROFILE: %v\n", err)
			return
		}
	}
}

func workerMode(args []string) bool {
	for _, a := range args {
		if a == "--worker" || strings.HasPrefix(a, "--worker=") {
			return true
		}
	}
	return false
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errStopped):
			fmt.Fprintf(stderr, "beamlens %s: stopped: the sources stopped and the job wrote what it held\n", c.name)
			return 0
		case errors.Is(err, runners.ErrCancelled):
			fmt.Fprintf(stderr, "beamlens %s: stopped: the runner confirmed the job cancelled\n", c.name)
			return 0
		case ctx.Err() != nil && strings.Contains(err.Error(), "context canceled"):
			// Ctrl-C or SIGTERM stopped a job on a local runner, which
			// then fails its calls with "context canceled": noise. (A
			// Flink job's stop is confirmed above, or its failure shown.)
			fmt.Fprintf(stderr, "beamlens %s: stopped on request\n", c.name)
			return 0
		case errors.As(err, new(preflightError)):
			fmt.Fprintf(stderr, "beamlens %s: %v\n", c.name, err)
			return 2
		case errors.As(err, new(usageError)):
			// One line, the problem first: the hint rides at its end.
			fmt.Fprintf(stderr, "beamlens %s: %v (beamlens %s --help lists the flags)\n", c.name, err, c.name)
			return 2
		default:
			reportFailure(stderr, c.name, err, verboseRequested(args[1:]))
			return 1
		}
	}
	fmt.Fprintf(stderr, "beamlens: unknown command %q\n", args[0])
	printUsage(stderr)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "beamlens - streaming data science on Apache Beam")
	fmt.Fprintln(w, "\nUsage: beamlens COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'beamlens COMMAND --help' for a command's flags.")
}
