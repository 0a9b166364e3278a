package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/beamlens/beamlens/pipelines/endpoint"
	"github.com/beamlens/beamlens/runners"
)

// ioFlags are the flags every pipeline command shares: where records come
// from and go, how far in the future a timestamp may be, and the runner.
type ioFlags struct {
	input, output string
	maxFuture     time.Duration
	runner        runners.Options
}

func (f *ioFlags) bind(fs *flag.FlagSet, inputWhat, outputStreams string) {
	fs.StringVar(&f.input, "input", "", inputWhat+": a JSON Lines path or glob (required)")
	fs.StringVar(&f.output, "output", "", "where results go: a directory ("+outputStreams+") or - for stdout (required)")
	fs.DurationVar(&f.maxFuture, "max-future", 24*time.Hour, "reject records timestamped further than this past the wall clock (negative: no limit)")
	runners.Bind(fs, &f.runner)
}

// endpoints validates the shared flags and parses the URIs. A usage mistake
// is a usageError (exit 2); an input that names nothing readable is a plain
// error (exit 1).
func (f *ioFlags) endpoints() (in, out endpoint.URI, err error) {
	if f.input == "" || f.output == "" {
		return in, out, usagef("--input and --output are required")
	}
	if in, err = endpoint.Parse(f.input); err != nil {
		return in, out, usagef("--input: %v", err)
	}
	if out, err = endpoint.Parse(f.output); err != nil {
		return in, out, usagef("--output: %v", err)
	}
	if err = endpoint.CheckOutput(out); err != nil {
		return in, out, usagef("--output: %v", err)
	}
	if err = f.runner.Validate(); err != nil {
		return in, out, usagef("%v", err)
	}
	if err = endpoint.CheckInput(in); err != nil {
		return in, out, fmt.Errorf("--input: %w", err)
	}
	return in, out, nil
}
