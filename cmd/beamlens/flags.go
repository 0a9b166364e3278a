package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// newFlagSet returns a flag set whose errors are returned, not fatal, and
// whose usage prints the synopsis first.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("beamlens "+name, flag.ContinueOnError)
	// The flag package calls Usage on every parse error; parseFlags prints
	// the full usage only for --help and a one-line hint otherwise.
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	usages[fs] = func() {
		fmt.Fprintf(stderr, "Usage: beamlens %s %s\n\nFlags:\n", name, synopsis)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// usages holds each flag set's full usage printer.
var usages = map[*flag.FlagSet]func(){}

// parseFlags parses args: --help prints the usage (flag.ErrHelp, exit 0),
// a bad flag or a stray argument is a usage error (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usages[fs]()
			return err
		}
		return usageError{withSuggestion(fs, err.Error())}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
