package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/models/synth"
	"github.com/beamlens/beamlens/pipelines/anomaly"
	themespipe "github.com/beamlens/beamlens/pipelines/themes"
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

	var f anomalyFlags
	if err := subcommandFlags("anomalies", f.bind, "--input="+input, "--output="+filepath.Join(*dir, "out"),
		"--max-future=-1s", "--metric=temperature", "--window=30m"); err != nil {
		return err
	}
	f.runner = ro
	cfg, err := f.config()
	if err != nil {
		return err
	}
	counts, err := buildAndRun(ctx, func(s beam.Scope) { anomaly.Build(s, cfg) }, ro, stderr, false)
	if err != nil {
		return err
	}
	if err := printDemoSummary(stdout, ro.Runner, cfg.Output.Path, counts); err != nil {
		return err
	}
	q, err := demoQuality(input, filepath.Join(cfg.Output.Path, anomaly.AnomaliesStream+".jsonl"))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  against the generator's labels: %v\n", q)
	fmt.Fprintf(stdout, "next: head %s   (or: %s anomalies --help)\n", shellQuote(filepath.Join(cfg.Output.Path, "anomalies.jsonl")), selfCommand())
	if err := runThemesDemo(ctx, *dir, max(*n/10, 500), ro, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nsee it live (then open http://127.0.0.1:8080/):\n  %s view --dir=%s\n", selfCommand(), shellQuote(*dir))
	return nil
}

// subcommandFlags fills a subcommand's flags as its command line would:
// bind registers them with their defaults and args sets the few the demo
// chooses (its files, synthetic timestamps dated in the future, the
// window the summary names). The demo so runs what `beamlens anomalies`
// (or themes) with these arguments runs, and cannot drift from their
// defaults.
func subcommandFlags(name string, bind func(*flag.FlagSet), args ...string) error {
	fs := flag.NewFlagSet("demo "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	bind(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("demo: %s %q: %w", name, args, err)
	}
	return nil
}

// selfCommand is how the user ran beamlens, for a command to paste: the
// name they typed, or `go run ./cmd/beamlens` when go run built it into
// its temporary directory (a path that is gone once the run ends).
func selfCommand() string {
	self := os.Args[0]
	if strings.Contains(filepath.ToSlash(self), "/go-build") {
		return "go run ./cmd/beamlens"
	}
	return shellQuote(self)
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runThemesDemo runs the themes pipeline with the offline model on a
// generated review stream with a planted trend, and reports from the files.
func runThemesDemo(ctx context.Context, dir string, n int, ro runners.Options, stdout, stderr io.Writer) error {
	input := filepath.Join(dir, "reviews.jsonl")
	if err := generate("reviews", n, 1, input, stdout); err != nil {
		return fmt.Errorf("generating %s: %w", input, err)
	}
	fmt.Fprintf(stdout, "\nbeamlens demo: generated %d product reviews (a planted 'battery life' trend, some malformed) in %s\n", n, input)
	var f themeFlags
	if err := subcommandFlags("themes", f.bind, "--input="+input, "--output="+filepath.Join(dir, "themes"),
		"--max-future=-1s", "--llm=offline", "--window=10m", "--top-k=3"); err != nil {
		return err
	}
	f.runner = ro
	cfg, err := f.config()
	if err != nil {
		return err
	}
	counts, err := buildAndRun(ctx, func(s beam.Scope) { themespipe.Build(s, cfg) }, ro, stderr, false)
	if err != nil {
		return err
	}
	out := cfg.Output.Path
	lines := map[string]int64{}
	for _, stream := range []string{themespipe.ReviewsStream, themespipe.CountsStream, themespipe.AlertsStream, themespipe.DeadLettersStream} {
		if lines[stream], err = countLines(filepath.Join(out, stream+".jsonl")); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "beamlens demo: the themes pipeline (offline theme model, 10-minute windows) ran on %s in %.1fs\n", ro.Runner, float64(counts["elapsed_ms"])/1000)
	fmt.Fprintf(stdout, "  reviews in:      %d\n", counts["records_read"])
	fmt.Fprintf(stdout, "  with themes:     %d  -> %s\n", lines[themespipe.ReviewsStream], filepath.Join(out, "reviews_with_themes.jsonl"))
	fmt.Fprintf(stdout, "  top-3 counts:    %d  -> %s\n", lines[themespipe.CountsStream], filepath.Join(out, "theme_counts.jsonl"))
	fmt.Fprintf(stdout, "  trend alerts:    %d  -> %s\n", lines[themespipe.AlertsStream], filepath.Join(out, "theme_alerts.jsonl"))
	fmt.Fprintf(stdout, "  dead letters:    %d  -> %s\n", lines[themespipe.DeadLettersStream], filepath.Join(out, "deadletters.jsonl"))
	if counts["records_read"] != lines[themespipe.ReviewsStream]+lines[themespipe.DeadLettersStream] {
		return fmt.Errorf("files and counters disagree: %v, files %v", counts, lines)
	}
	fmt.Fprintln(stdout, "  every review is accounted for: reviews in = with themes + dead letters")
	return nil
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
	fmt.Fprintf(w, "beamlens demo: the anomaly pipeline (default ensemble: likelihood and stuck on temperature) ran on %s in %.1fs\n",
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

// demoQuality scores the anomalies file against the labels gen wrote beside
// the input.
func demoQuality(input, anomaliesFile string) (synth.Quality, error) {
	data, err := os.ReadFile(input)
	if err != nil {
		return synth.Quality{}, err
	}
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	lf, err := os.Open(input + ".labels.jsonl")
	if err != nil {
		return synth.Quality{}, err
	}
	defer lf.Close()
	var labels []synth.SensorLabel
	for dec := json.NewDecoder(lf); dec.More(); {
		var l synth.SensorLabel
		if err := dec.Decode(&l); err != nil {
			return synth.Quality{}, fmt.Errorf("%s: %w", lf.Name(), err)
		}
		labels = append(labels, l)
	}
	af, err := os.Open(anomaliesFile)
	if err != nil {
		return synth.Quality{}, err
	}
	defer af.Close()
	flagged := map[string]bool{}
	for dec := json.NewDecoder(af); dec.More(); {
		var a struct {
			ID string `json:"reading_id"`
		}
		if err := dec.Decode(&a); err != nil {
			return synth.Quality{}, fmt.Errorf("%s: %w", anomaliesFile, err)
		}
		flagged[a.ID] = true
	}
	return synth.EvaluateSensors(lines, labels, flagged)
}
