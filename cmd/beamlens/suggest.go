package main

import (
	"flag"
	"strings"

	"github.com/agnivade/levenshtein"
)

// undefinedPrefix is how the flag package reports a flag the set does not
// define ("flag provided but not defined: -detector").
const undefinedPrefix = "flag provided but not defined: -"

// withSuggestion turns the flag package's message for an unknown flag into
// one that names the closest flag fs defines, when one is close enough to
// be a typo: --detector -> "did you mean --detectors?".
func withSuggestion(fs *flag.FlagSet, msg string) string {
	name, ok := strings.CutPrefix(msg, undefinedPrefix)
	if !ok {
		return msg
	}
	name = strings.TrimPrefix(name, "-")
	if best := closestFlag(fs, name); best != "" {
		return "unknown flag --" + name + "; did you mean --" + best + "?"
	}
	return "unknown flag --" + name
}

// closestFlag returns the flag of fs nearest to name: one that name is a
// prefix of or that is a prefix of name (--detector, --kafka-sasl-user), or
// else within an edit distance of a third of its length (two at most, so
// that unrelated short names are not offered). Ties go to the shorter
// distance, then the name first in order.
func closestFlag(fs *flag.FlagSet, name string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
	n := norm(name)
	best, bestD := "", 1<<30
	fs.VisitAll(func(f *flag.Flag) {
		c := norm(f.Name)
		d := levenshtein.ComputeDistance(n, c)
		limit := min(2, max(1, len(c)/3))
		if len(n) >= 3 && (strings.HasPrefix(c, n) || strings.HasPrefix(n, c)) {
			d = min(d, limit) // a prefix is a likely slip however long
		}
		if d <= limit && (d < bestD || d == bestD && f.Name < best) {
			best, bestD = f.Name, d
		}
	})
	return best
}
