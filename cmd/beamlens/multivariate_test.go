package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pumpStream writes one pump's readings, a minute apart: current swings
// around 10 A on a 300-minute cycle and pressure follows it, except from
// reading faultFrom for faultN readings, where pressure moves against
// current: both stay within their normal ranges, only their relation
// breaks. Pressure spikes at reading spikeP and current at spikeC.
// Reading 1000 lacks pressure and reading 1001 carries neither
// metric.
func pumpStream(t *testing.T, path string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(18, 5))
	var b strings.Builder
	for i := range 3000 {
		ts := pumpT0 + int64(i)*60000
		c := 10 + 2*math.Sin(2*math.Pi*float64(i)/300) + 0.2*rng.NormFloat64()
		sign := 0.5
		if i >= faultFrom && i < faultFrom+faultN {
			sign = -0.5
		}
		p := 5 + sign*(c-10) + 0.05*rng.NormFloat64()
		switch i {
		case spikeP:
			p += 10
		case spikeC:
			c += 15
		}
		switch i {
		case 1000:
			fmt.Fprintf(&b, `{"device_id":"pump-1","timestamp":%d,"current":%.3f}`+"\n", ts, c)
		case 1001:
			fmt.Fprintf(&b, `{"device_id":"pump-1","timestamp":%d,"flow":3}`+"\n", ts)
		default:
			fmt.Fprintf(&b, `{"device_id":"pump-1","timestamp":%d,"current":%.3f,"pressure":%.3f}`+"\n", ts, c, p)
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

const (
	pumpT0    = int64(1735689600000) // 2025-01-01T00:00:00Z
	faultFrom = 2100
	faultN    = 150
	spikeP    = 1500
	spikeC    = 1800
)

type pumpAnomaly struct {
	Timestamp int64  `json:"timestamp"`
	Detector  string `json:"detector"`
	Metric    string `json:"metric"`
}

// TestMetricsReachTheDetectors: --metrics=current,pressure makes the
// default detectors score both metrics, each on its own (the ensemble, which
// finds each metric's spike) and as a vector (pca), so a fault that shows only in their relation is found
// and its anomaly names both; the same list scored per metric
// (--detectors=ensemble) misses it, and --metric picks one of the list.
// A reading lacking one metric is scored on the other (pca skips it); one
// lacking every scored metric is a dead letter.
func TestMetricsReachTheDetectors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "pump.jsonl")
	pumpStream(t, in)
	for _, c := range []struct {
		name  string
		args  []string
		found bool     // an anomaly inside the fault
		only  string   // every anomaly's metric, when set
		dead  int      // dead letters: readings with none of the scored metrics
		want  []string // "detector metric" of anomalies that must be there
	}{
		{"default", nil, true, "", 1, []string{"ensemble pressure", "ensemble current"}},
		{"per-metric", []string{"--detectors=ensemble"}, false, "", 1, []string{"ensemble pressure", "ensemble current"}},
		// Only pressure is scored: the reading with current alone has none.
		{"one-of-the-list", []string{"--metric=pressure", "--detectors=ensemble,pca"}, false, "pressure", 2, []string{"ensemble pressure"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name)
			args := append([]string{"anomalies", "--input=" + in, "--output=" + out, "--window=off",
				"--metrics=current,pressure"}, c.args...)
			if code, _, stderr := runCLI(t, args...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var inFault []pumpAnomaly
			metrics := map[string]int{}
			for _, a := range readJSONL[pumpAnomaly](t, filepath.Join(out, "anomalies.jsonl")) {
				metrics[a.Detector+" "+a.Metric]++
				if c.only != "" && a.Metric != c.only {
					t.Errorf("%s scored %s: only %s was asked for", a.Detector, a.Metric, c.only)
				}
				if i := (a.Timestamp - pumpT0) / 60000; i >= faultFrom && i < faultFrom+faultN {
					inFault = append(inFault, a)
				}
			}
			t.Logf("anomalies by detector and metric: %v", metrics)
			for _, w := range c.want {
				if metrics[w] == 0 {
					t.Errorf("no anomaly from %s (the spikes)", w)
				}
			}
			if !c.found && len(inFault) > 0 {
				t.Errorf("%d anomalies in the broken relation, want none: %+v", len(inFault), inFault)
			}
			if c.found {
				if len(inFault) == 0 {
					t.Fatal("the broken relation was not found")
				}
				for _, a := range inFault {
					if a.Detector != "pca" || (a.Metric != "current,pressure" && a.Metric != "pressure,current") {
						t.Errorf("an anomaly in the fault is %s on %q, want pca naming both metrics", a.Detector, a.Metric)
					}
				}
			}
			dead := readLines(t, filepath.Join(out, "deadletters.jsonl"))
			if len(dead) != c.dead {
				t.Errorf("%d dead letters, want %d: %q", len(dead), c.dead, dead)
			}
			for _, d := range dead {
				if !strings.Contains(string(d), "missing metric") {
					t.Errorf("dead letter %s, want a missing metric", d)
				}
			}
		})
	}
}

func TestMetricUsageErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	os.WriteFile(in, []byte(`{"device_id":"d","timestamp":0,"a":1}`+"\n"), 0o644)
	for _, c := range []struct{ arg, msg string }{
		{"--metric=a,,b", "a metric name is empty"},
		{"--metric=a,b,a", "a is named twice"},
		{"--metric=", "a metric name is empty"},
	} {
		code, _, stderr := runCLI(t, "anomalies", "--input="+in, "--output="+filepath.Join(dir, "out"), c.arg)
		if code != 2 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", c.arg, code, stderr, c.msg)
		}
	}
}
