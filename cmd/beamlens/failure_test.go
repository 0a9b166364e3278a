package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// runnerError is the shape of what a failed bundle returns through prism:
// what failed, the failing plan a unit per line, and the causes.
const runnerError = "pipeline failed on prism: job job-001 failed:\n" +
	"bundle inst001 stage-001 failed:ProcessBundle failed: while executing Process for Plan[stage-001]:\n" +
	"2: ParDo[kafkaio.discoverFn] Out:[3]\n" +
	"3: SDF[kafkaio.readFn] Out:[4]\n" +
	"4: ParDo[decode.parseFn] Out:[5 6]\n" +
	"1: DataSource[S[ptransform-1@localhost:1], 0] Coder:W;c0<[]uint8>!GWC Out:2\n" +
	"\tcaused by:\n" +
	"kafkaio.Read: list partitions: \"sensor_dta\": topic does not exist"

func TestRuntimeFailureInOneLine(t *testing.T) {
	var quiet, verbose bytes.Buffer
	reportFailure(&quiet, "anomalies", errors.New(runnerError), false)
	lines := strings.Split(strings.TrimRight(quiet.String(), "\n"), "\n")
	want := `beamlens anomalies: pipeline failed on prism: job job-001 failed: kafkaio.Read: list partitions: "sensor_dta": topic does not exist (--verbose shows the runner's full error)`
	if len(lines) != 1 || lines[0] != want {
		t.Errorf("quiet:\n%s\nwant the one line\n%s", quiet.String(), want)
	}
	reportFailure(&verbose, "anomalies", errors.New(runnerError), true)
	v := verbose.String()
	if !strings.Contains(v, "3: SDF[kafkaio.readFn]") || !strings.HasSuffix(v, `"sensor_dta": topic does not exist`+"\n") {
		t.Errorf("verbose: want the plan, then the one line last:\n%s", v)
	}
	var plain bytes.Buffer
	reportFailure(&plain, "themes", errors.New("generating x: disk full"), false)
	if plain.String() != "beamlens themes: generating x: disk full\n" {
		t.Errorf("a one-line error changed: %q", plain.String())
	}
}
