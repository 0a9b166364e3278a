package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/pipelines/anomaly"
	"github.com/beamlens/beamlens/runners"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "[--dir=DIR] [--n=N]", stderr)
	dir := fs.String("dir", "beamlens-demo", "directory for the generated input and the outputs")
	n := fs.Int("n", 20000, "number of sensor readings to generate")
	var ro runners.Options
	runners.Bind(fs, &ro)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n <= 0 {
		return usagef("--n must be positive")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	input := filepath.Join(*dir, "sensors.jsonl")
	if err := generate("sensors", *n, 1, input, stdout); err != nil {
		return fmt.Errorf("generating %s: %w", input, err)
	}
	fmt.Fprintf(stdout, "beamlens demo: generated %d sensor readings (with spikes, level shifts, drifts, out-of-order and malformed records) in %s\n", *n, input)

	f := anomalyFlags{input: input, output: filepath.Join(*dir, "out"), detectors: "threshold",
		metric: "temperature", threshold: 100, maxFuture: -1, window: "30m", runner: ro}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	p, s := beam.NewPipelineWithRoot()
	anomaly.Build(s, cfg)
	counts, err := execute(ctx, p, ro, stderr)
	if err != nil {
		return err
	}
	return printDemoSummary(stdout, ro.Runner, cfg.Output.Path, counts)
}

// printDemoSummary reports what the files hold - counted from the files, so
// the summary is true to them - and checks it against the Beam counters.
func printDemoSummary(w io.Writer, runner, outDir string, counts map[string]int64) error {
	anomalies, err := countLines(filepath.Join(outDir, anomaly.AnomaliesStream+".jsonl"))
	if err != nil {
		return err
	}
	dead, err := countLines(filepath.Join(outDir, anomaly.DeadLettersStream+".jsonl"))
	if err != nil {
		return err
	}
	stats, err := countLines(filepath.Join(outDir, anomaly.WindowStatsStream+".jsonl"))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "beamlens demo: the anomaly pipeline (temperature > 100) ran on %s in %.1fs\n",
		runner, float64(counts["elapsed_ms"])/1000)
	fmt.Fprintf(w, "  records in:    %d\n", counts["records_read"])
	fmt.Fprintf(w, "  parsed:        %d\n", counts["records_parsed"])
	fmt.Fprintf(w, "  anomalies:     %d  -> %s\n", anomalies, filepath.Join(outDir, "anomalies.jsonl"))
	fmt.Fprintf(w, "  window stats:  %d  -> %s (per device and metric, 30-minute windows)\n", stats, filepath.Join(outDir, "window_stats.jsonl"))
	fmt.Fprintf(w, "  dead letters:  %d  -> %s\n", dead, filepath.Join(outDir, "deadletters.jsonl"))
	if counts["records_read"] != counts["records_parsed"]+dead || counts["anomalies"] != anomalies {
		return fmt.Errorf("files and counters disagree: %v, %d anomalies and %d dead letters in the files", counts, anomalies, dead)
	}
	fmt.Fprintln(w, "  every record is accounted for: records in = parsed + dead letters")
	fmt.Fprintf(w, "next: head %s   (or: beamlens anomalies --help)\n", filepath.Join(outDir, "anomalies.jsonl"))
	return nil
}

func countLines(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	var n int64
	for sc.Scan() {
		n++
	}
	return n, sc.Err()
}
