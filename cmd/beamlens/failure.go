package main

import (
	"fmt"
	"io"
	"strings"
)

// reportFailure prints why a command failed. A job that failed inside the
// runner comes back from Beam as a chain of messages with the execution
// plan of the failing bundle in the middle (a unit per line, twenty lines
// and more); the user needs the first line (what failed) and the innermost
// cause (why), so that is what is printed, in one line, last, with what to
// do about it. --verbose prints the whole chain first.
func reportFailure(w io.Writer, command string, err error, verbose bool) {
	msg := err.Error()
	if verbose && strings.Contains(msg, "\n") {
		fmt.Fprintf(w, "beamlens %s: the runner's full error:\n%s\n", command, msg)
	}
	fmt.Fprintf(w, "beamlens %s: %s\n", command, condense(msg, verbose))
}

// causedBy separates Beam's wrapped errors (internal/errors).
const causedBy = "\tcaused by:\n"

// condense reduces a multi-line runner error to one line: its first line
// and its innermost cause, plus a hint to see the rest.
func condense(msg string, verbose bool) string {
	if !strings.Contains(msg, "\n") {
		return msg
	}
	first, _, _ := strings.Cut(msg, "\n")
	cause := msg
	if i := strings.LastIndex(msg, causedBy); i >= 0 {
		cause = msg[i+len(causedBy):]
	}
	cause = lastMeaningfulLine(cause)
	out := strings.TrimSuffix(strings.TrimSpace(first), ":")
	if cause != "" && !strings.Contains(out, cause) {
		out += ": " + cause
	}
	if !verbose {
		out += " (--verbose shows the runner's full error)"
	}
	return out
}

// lastMeaningfulLine is the last line of s that is not a plan unit or a
// blank: the message Beam wraps last is the innermost.
func lastMeaningfulLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || isPlanLine(l) {
			continue
		}
		return l
	}
	return ""
}

// isPlanLine reports a line of an execution plan dump ("3: ParDo[...]",
// "Plan[...]:").
func isPlanLine(l string) bool {
	if strings.HasPrefix(l, "Plan[") {
		return true
	}
	num, rest, ok := strings.Cut(l, ": ")
	if !ok || num == "" || strings.Trim(num, "0123456789") != "" {
		return false
	}
	return strings.Contains(rest, "[") && strings.HasSuffix(rest, "]")
}

// verboseRequested reports whether the command line asked for --verbose.
func verboseRequested(args []string) bool {
	for _, a := range args {
		if a == "--verbose" || a == "-verbose" || a == "--verbose=true" || a == "-verbose=true" {
			return true
		}
	}
	return false
}
