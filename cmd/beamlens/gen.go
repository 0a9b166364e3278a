package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/beamlens/beamlens/models/synth"
)

func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "sensors" && args[0] != "reviews") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stderr, "Usage: beamlens gen sensors|reviews --n=N --seed=S --out=FILE")
			return nil
		}
		return usagef("want 'gen sensors' or 'gen reviews'")
	}
	kind := args[0]
	fs := newFlagSet("gen "+kind, "--n=N --seed=S --out=FILE", stderr)
	n := fs.Int("n", 10000, "number of records (lines)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same bytes")
	out := fs.String("out", "", "output file, - for stdout (required); labels go to FILE.labels.jsonl")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required")
	}
	if *n <= 0 {
		return usagef("--n must be positive")
	}
	return generate(kind, *n, *seed, *out, stdout)
}

// generate writes a labelled stream to out (and out.labels.jsonl unless out
// is "-").
func generate(kind string, n int, seed uint64, out string, stdout io.Writer) error {
	w := bufio.NewWriterSize(stdout, 1<<20)
	var labels *bufio.Writer
	var files []*os.File
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		lf, err := os.Create(out + ".labels.jsonl")
		if err != nil {
			f.Close()
			return err
		}
		files = append(files, f, lf)
		w, labels = bufio.NewWriterSize(f, 1<<20), bufio.NewWriterSize(lf, 1<<20)
	}
	var err error
	if kind == "sensors" {
		err = synth.Sensors(w, labelsOrNil(labels), synth.SensorOptions{N: n, Seed: seed})
	} else {
		err = synth.Reviews(w, labelsOrNil(labels), synth.ReviewOptions{N: n, Seed: seed})
	}
	for _, bw := range []*bufio.Writer{w, labels} {
		if bw != nil {
			if ferr := bw.Flush(); err == nil {
				err = ferr
			}
		}
	}
	for _, f := range files {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// labelsOrNil keeps a nil *bufio.Writer from becoming a non-nil io.Writer.
func labelsOrNil(w *bufio.Writer) io.Writer {
	if w == nil {
		return nil
	}
	return w
}
