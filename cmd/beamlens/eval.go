package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/beamlens/beamlens/pipelines/eval"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/models/detectors"
	"github.com/beamlens/beamlens/models/nab"
	"github.com/beamlens/beamlens/runners"
	"github.com/beamlens/beamlens/transforms/detect"
)

// nabMetric is the field each NAB row's value travels in.
const nabMetric = "value"

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "nab" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stderr, "Usage: beamlens eval nab --corpus=DIR [--detectors=ensemble|LIST|FILE] [--out=DIR] [--nab-range]")
			return nil
		}
		return usagef("want a benchmark: beamlens eval nab --corpus=DIR")
	}
	fs := newFlagSet("eval nab", "--corpus=DIR [--detectors=ensemble|LIST|FILE] [--out=DIR] [--nab-range]", stderr)
	corpus := fs.String("corpus", "", "the NAB corpus: a directory with data/, labels/combined_windows.json and results/final_results.json")
	out := fs.String("out", "beamlens-nab", "where the per-file results (NAB format), scores.json and scores.svg go")
	f := anomalyFlags{}
	fs.StringVar(&f.detectors, "detectors", "ensemble", "detectors to evaluate, as for beamlens anomalies: a comma-separated list or a YAML/JSON spec FILE")
	fs.Float64Var(&f.scoreThreshold, "score-threshold", detectors.StreamScoreThreshold, "learned detectors' score threshold; NAB optimises its own threshold on the scores, so this only maps scores to [0,1]")
	nabRange := fs.Bool("nab-range", false, "give each series' detectors its min and max in advance (cad's range) and a cooldown of a fifth of its probationary period, as NAB's own runner gives every detector; the published scores were made so")
	var ro runners.Options
	runners.Bind(fs, &ro)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *corpus == "" {
		return usagef("--corpus is required (e.g. --corpus=../shared/nab)")
	}
	f.threshold = detectors.DefaultThreshold
	names, learned, err := f.detectorSpec()
	if err != nil {
		return err
	}
	windows, err := nab.LoadWindows(filepath.Join(*corpus, "labels", "combined_windows.json"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	start := time.Now()
	series, inputs, err := nabInput(*corpus, *out, windows)
	if err != nil {
		return err
	}
	scoresPath := filepath.Join(*out, "row_scores.jsonl")
	opts := detect.Options{Detectors: names, Learned: learned, Metric: nabMetric, Threshold: new(learned.Threshold),
		EveryScore: true}
	ro.JobLabel = "eval-nab"
	cfg := eval.Config{Detect: opts, Scores: scoresPath, DeadLetters: filepath.Join(*out, "deadletters.jsonl"),
		Glob: filepath.Join(*out, nabInputDir, "[0-9][0-9][0-9].jsonl")}
	if *nabRange {
		// One detection per series, each told its series' range and rest
		// period: what NAB's runner hands a detector.
		for _, in := range inputs {
			r := series[in.name]
			cfg.Series = append(cfg.Series, eval.Series{Name: in.name, Path: in.path,
				Range: [2]float64{slices.Min(r.Values), slices.Max(r.Values)}, Cooldown: max(1, nab.ProbationaryRows(len(r.Values))/5)})
		}
	}
	_, err = buildAndRun(ctx, func(s beam.Scope) { eval.Build(s, cfg) }, ro, stderr, false)
	if err != nil {
		return err
	}
	if err := attachScores(scoresPath, series); err != nil {
		return err
	}
	scores := map[string]float64{}
	thresholds := map[string]float64{}
	for _, prof := range nab.ProfileNames {
		p := nab.Profiles[prof]
		var files []nab.File
		for name, r := range series {
			f, err := nab.Prepare(name, r.Times, r.Scores, windows[name], p)
			if err != nil {
				return err
			}
			files = append(files, f)
		}
		thresholds[prof], scores[prof] = nab.Optimise(files, p)
	}
	for name, r := range series {
		dir, base := filepath.Split(name)
		path := filepath.Join(*out, "results", dir, "beamlens_"+base)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := nab.WriteResults(path, *r, windows[name]); err != nil {
			return err
		}
	}
	label := strings.Join(names, "+")
	if *nabRange {
		label += " (NAB range)"
	}
	if err := reportNAB(stdout, *corpus, *out, label, scores, thresholds, len(series), time.Since(start)); err != nil {
		return err
	}
	return reportDeadLetters(stdout, cfg.DeadLetters)
}

// seriesInput is one series' readings file.
type seriesInput struct{ name, path string }

// nabInputDir is where nabInput writes the readings, under --out.
const nabInputDir = "nab-input"

// nabInput turns every series of the corpus into readings of one device,
// named after its file, in a JSON Lines file of its own (NNN.jsonl) under
// out/nab-input. Files of that name left by an earlier run are removed
// first, so the glob reads this run's series only; nothing else there is
// touched.
func nabInput(corpus, out string, windows map[string][]nab.Window) (map[string]*nab.Results, []seriesInput, error) {
	series := map[string]*nab.Results{}
	dir := filepath.Join(out, nabInputDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	stale, _ := filepath.Glob(filepath.Join(dir, "[0-9][0-9][0-9].jsonl"))
	for _, f := range stale {
		if err := os.Remove(f); err != nil {
			return nil, nil, err
		}
	}
	names := make([]string, 0, len(windows))
	for name := range windows {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) > 999 {
		return nil, nil, fmt.Errorf("%d series: eval nab names its inputs with three digits", len(names))
	}
	var inputs []seriesInput
	for i, name := range names {
		r, err := nab.ReadCSV(filepath.Join(corpus, "data", name))
		if err != nil {
			return nil, nil, err
		}
		if len(r.Times) == 0 {
			return nil, nil, fmt.Errorf("%s: no rows", name)
		}
		r.Scores = make([]float64, len(r.Times))
		series[name] = &r
		in := seriesInput{name, filepath.Join(dir, fmt.Sprintf("%03d.jsonl", i))}
		if err := writeSeries(in.path, name, r); err != nil {
			return nil, nil, err
		}
		inputs = append(inputs, in)
	}
	return series, inputs, nil
}

// writeSeries writes a series' rows as readings of the device name.
func writeSeries(path, name string, r nab.Results) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for i, t := range r.Times {
		fmt.Fprintf(w, `{"device_id":%q,"timestamp":%d,%q:%s}`+"\n", name, t.UnixMilli(), nabMetric,
			strconv.FormatFloat(r.Values[i], 'g', -1, 64))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// attachScores reads the judged rows back into their series; a row judged
// by several detectors keeps its highest score.
func attachScores(path string, series map[string]*nab.Results) error {
	index := map[string]map[int64]int{}
	for name, r := range series {
		m := make(map[int64]int, len(r.Times))
		for i, t := range r.Times {
			m[t.UnixMilli()] = i
		}
		index[name] = m
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var row struct {
			D string
			T int64
			S float64
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		i, ok := index[row.D][row.T]
		if !ok {
			return fmt.Errorf("%s: a score for %s at %d, which is no row of the corpus", path, row.D, row.T)
		}
		r := series[row.D]
		r.Scores[i] = max(r.Scores[i], row.S)
		n++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: the pipeline judged no row", path)
	}
	return nil
}

// reportNAB prints the scores beside the published scoreboard and writes
// scores.json and scores.svg.
func reportNAB(stdout io.Writer, corpus, out, name string, scores, thresholds map[string]float64, files int, took time.Duration) error {
	var published map[string]map[string]float64
	b, err := os.ReadFile(filepath.Join(corpus, "results", "final_results.json"))
	if err == nil {
		err = json.Unmarshal(b, &published)
	}
	if err != nil {
		return fmt.Errorf("reading the published scoreboard: %w", err)
	}
	js, _ := json.MarshalIndent(scores, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "scores.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	label := "beamlens " + name
	fmt.Fprintf(stdout, "beamlens eval nab: %d series through transforms/detect in %s\n\n", files, took.Round(time.Second))
	fmt.Fprintf(stdout, "%-28s %9s %9s %9s\n", "detector", "standard", "low FP", "low FN")
	type row struct {
		name string
		s    map[string]float64
	}
	rows := []row{{label, scores}}
	for det, s := range published {
		rows = append(rows, row{det, s})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].s["standard"] > rows[j].s["standard"] })
	var entries []nab.Entry
	for _, r := range rows {
		mark := ""
		if r.name == label {
			mark = "  <-"
		}
		fmt.Fprintf(stdout, "%-28s %9.2f %9.2f %9.2f%s\n", r.name, r.s["standard"], r.s["reward_low_FP_rate"], r.s["reward_low_FN_rate"], mark)
		entries = append(entries, nab.Entry{Name: r.name, Score: r.s["standard"], Ours: r.name == label})
	}
	fmt.Fprintf(stdout, "\nthresholds (of the [0,1] score): standard %.4f, low FP %.4f, low FN %.4f\n",
		thresholds["standard"], thresholds["reward_low_FP_rate"], thresholds["reward_low_FN_rate"])
	svg, err := os.Create(filepath.Join(out, "scores.svg"))
	if err != nil {
		return err
	}
	if err := nab.WriteSVG(svg, "NAB standard profile: "+label+" vs the published detectors", entries); err != nil {
		svg.Close()
		return err
	}
	if err := svg.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s, %s and NAB-format results under %s\n",
		filepath.Join(out, "scores.json"), filepath.Join(out, "scores.svg"), filepath.Join(out, "results"))
	return nil
}

// reportDeadLetters says how many rows became dead letters instead of
// scores (a row NAB cannot score), and where they are.
func reportDeadLetters(stdout io.Writer, path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b, err = nil, nil
	}
	if err != nil {
		return err
	}
	n := bytes.Count(b, []byte("\n"))
	fmt.Fprintf(stdout, "dead letters: %d (%s)\n", n, path)
	return nil
}
