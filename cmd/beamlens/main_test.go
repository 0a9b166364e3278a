package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

func TestMain(m *testing.M) {
	beam.Init()
	os.Exit(m.Run())
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	os.WriteFile(in, []byte(`{"device_id":"d","timestamp":0,"temperature":1}`+"\n"), 0o644)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, "Usage: beamlens COMMAND"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"anomalies", "--bogus"}, 2, "unknown flag --bogus"},
		{[]string{"anomalies", "--input=" + in}, 2, "--input and --output are required"},
		{[]string{"anomalies", "--input=" + in, "--output=ftp://x/y"}, 2, "unknown scheme"},
		{[]string{"anomalies", "--input=kafka://nohostport/t", "--output=" + dir}, 2, ""},
		{[]string{"anomalies", "--input=" + in, "--output=" + dir, "--detectors=magic"}, 2, `unknown detector "magic"`},
		{[]string{"anomalies", "--input=" + in, "--output=" + dir, "--runner=spark"}, 2, `unknown runner "spark"`},
		{[]string{"anomalies", "--input=" + in, "--output=" + dir, "stray"}, 2, `unexpected argument "stray"`},
		{[]string{"anomalies", "--input=" + filepath.Join(dir, "missing.jsonl"), "--output=" + dir}, 1, "no file matches"},
		{[]string{"gen", "planets"}, 2, "want 'gen sensors' or 'gen reviews'"},
		{[]string{"themes", "--input=" + in, "--output=" + dir, "--llm=offline", "--themes-synonyms=" + filepath.Join(dir, "none.yaml")}, 2, "--themes-synonyms"},
		{[]string{"themes", "--input=" + in, "--output=" + dir, "--llm=psychic"}, 2, "--llm: want openai, offline or auto"},
		{[]string{"anomalies", "--input=kafka://127.0.0.1:9/t", "--output=" + dir}, 2, "needs an input that ends"},
		{[]string{"anomalies", "--input=kafka://127.0.0.1:9/t", "--bounded", "--output=-", "--kafka-start=yesterday"}, 2, "--kafka-start"},
		{[]string{"anomalies", "--input=" + in, "--output=kafka://127.0.0.1:9/t", "--kafka-compression=brotli"}, 2, "--kafka-compression: want one of none, gzip, snappy, lz4, zstd"},
		{[]string{"anomalies", "--input=" + in, "--output=" + dir, "--detectors=" + filepath.Join(dir, "nope.yaml")}, 2, "--detectors"},
		{[]string{"anomalies", "--input=" + in, "--output=" + dir, "--score-threshold=-1"}, 2, "ScoreThreshold"},
		{[]string{"gen", "sensors", "--n=0", "--out=x"}, 2, "--n must be positive"},
		{[]string{"themes", "--input=kafka://127.0.0.1:9/t", "--output=-", "--llm=offline", "--top-k=3"}, 2, "--top-k ranks the windows of a bounded input"},
		{[]string{"themes", "--input=kafka://127.0.0.1:9/t", "--output=-", "--llm=offline", "--window=10m/3m"}, 2, "the period must divide the size"},
		{[]string{"themes", "--input=" + in, "--output=" + dir, "--llm=offline", "--allowed-lateness=-1s"}, 2, "--allowed-lateness is negative"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.msg)
		}
	}
}

func TestHelpOnEverySubcommand(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"anomalies", "--help"}, {"demo", "-h"}, {"gen", "--help"}, {"gen", "sensors", "--help"}} {
		code, _, stderr := runCLI(t, args...)
		if code != 0 || !strings.Contains(stderr, "Usage: beamlens") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	_, _, stderr := runCLI(t, "anomalies", "--help")
	for _, flag := range []string{"-input", "-output", "-detectors", "-threshold", "-metric", "-runner", "-endpoint", "-environment_type", "-parallelism"} {
		if !strings.Contains(stderr, flag) {
			t.Errorf("anomalies --help does not mention %s", flag)
		}
	}
}

// TestDemoSummaryIsTrue runs the demo and checks each number it prints
// against the files it wrote.
func TestDemoSummaryIsTrue(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "demo", "--dir="+dir, "--n=6000")
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	number := func(label string) int {
		m := regexp.MustCompile(label + `:\s+(\d+)`).FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("summary lacks %q:\n%s", label, stdout)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	lines := func(name string) int {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Count(b, []byte("\n"))
	}
	if got, want := number("records in"), lines("sensors.jsonl"); got != want {
		t.Errorf("records in = %d, input has %d lines", got, want)
	}
	if got, want := number("anomalies"), lines("out/anomalies.jsonl"); got != want || got == 0 {
		t.Errorf("anomalies = %d, file has %d", got, want)
	}
	if got, want := number("dead letters"), lines("out/deadletters.jsonl"); got != want || got == 0 {
		t.Errorf("dead letters = %d, file has %d", got, want)
	}
	if number("parsed")+number("dead letters") != number("records in") {
		t.Errorf("summary does not add up:\n%s", stdout)
	}
	if got, want := number("with themes"), lines("themes/reviews_with_themes.jsonl"); got != want || got == 0 {
		t.Errorf("with themes = %d, file has %d", got, want)
	}
	if got, want := number("trend alerts"), lines("themes/theme_alerts.jsonl"); got != want {
		t.Errorf("trend alerts = %d, file has %d", got, want)
	}

	// The demo ends with the one command that opens the view on what it
	// wrote: run it, and the view shows the demo's files.
	last := strings.Fields(stdout[strings.LastIndex(strings.TrimSpace(stdout), "\n")+1:])
	if strings.Join(last, " ") != "go run ./cmd/beamlens view --dir="+dir {
		t.Fatalf("the demo's last line is %q, want the view command", last)
	}
	url, stop := startView(t, append(last[3:], "--listen=127.0.0.1:0")...)
	anomalies, alerts := int64(lines("out/anomalies.jsonl")), int64(lines("themes/theme_alerts.jsonl"))
	waitForView(t, url, func(s viewSnapshot) bool {
		return s.Anomalies == anomalies && s.AlertsTotal == alerts && s.Mentions > 0
	})
	stop()
}

func TestGenIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a", "b"} {
		if code, _, stderr := runCLI(t, "gen", "reviews", "--n=200", "--seed=9", "--out="+filepath.Join(dir, name)); code != 0 {
			t.Fatalf("gen: %s", stderr)
		}
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a"))
	b, _ := os.ReadFile(filepath.Join(dir, "b"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("same seed, different bytes")
	}
	if _, err := os.Stat(filepath.Join(dir, "a.labels.jsonl")); err != nil {
		t.Error("no labels file")
	}
}

// TestWindowOff: --window=off leaves the statistics stream out and keeps
// the anomalies and dead letters.
func TestWindowOff(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	os.WriteFile(in, []byte(`{"device_id":"d","timestamp":0,"temperature":120}`+"\nnot json\n"), 0o644)
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "anomalies", "--detectors=threshold", "--window=off", "--input="+in, "--output="+out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for name, want := range map[string]int{"anomalies.jsonl": 1, "deadletters.jsonl": 1} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || bytes.Count(b, []byte("\n")) != want {
			t.Errorf("%s: %q (%v), want %d lines", name, b, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "window_stats.jsonl")); !os.IsNotExist(err) {
		t.Errorf("window_stats.jsonl written with --window=off (%v)", err)
	}
}
