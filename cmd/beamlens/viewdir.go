package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/beamlens/beamlens/view"
)

// viewDir fills the sources src leaves empty from dir, which is one of:
// a directory `beamlens demo` wrote (out/ and themes/ inside), an --output
// directory of `beamlens anomalies` (anomalies.jsonl, window_stats.jsonl)
// or of `beamlens themes` (theme_counts.jsonl, theme_alerts.jsonl). A
// directory that does not exist is a usage error; one that holds none of
// these yet is followed as a demo directory (a demo may be writing it),
// with a warning saying what the view waits for.
func viewDir(dir string, src *view.Sources, stderr io.Writer) error {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return usagef("--dir=%s: no such directory (give a directory beamlens demo wrote, or an --output directory of beamlens anomalies or themes)", dir)
	}
	has := func(parts ...string) bool {
		_, err := os.Stat(filepath.Join(append([]string{dir}, parts...)...))
		return err == nil
	}
	def := func(p *string, parts ...string) {
		if *p == "" {
			*p = filepath.Join(append([]string{dir}, parts...)...)
		}
	}
	switch {
	case has("anomalies.jsonl") || has("window_stats.jsonl"):
		def(&src.Anomalies, "anomalies.jsonl")
		def(&src.Stats, "window_stats.jsonl")
		return nil
	case has("theme_counts.jsonl") || has("theme_alerts.jsonl"):
		def(&src.Themes, "theme_counts.jsonl")
		def(&src.Alerts, "theme_alerts.jsonl")
		return nil
	}
	def(&src.Anomalies, "out", "anomalies.jsonl")
	def(&src.Stats, "out", "window_stats.jsonl")
	def(&src.Themes, "themes", "theme_counts.jsonl")
	def(&src.Alerts, "themes", "theme_alerts.jsonl")
	if !has("out") && !has("themes") {
		fmt.Fprintf(stderr, "beamlens view: warning: %s holds no beamlens outputs yet; waiting for %s\n", dir,
			strings.Join([]string{"out/anomalies.jsonl", "out/window_stats.jsonl", "themes/theme_counts.jsonl", "themes/theme_alerts.jsonl"}, ", "))
	}
	return nil
}
