package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/beamlens/beamlens/internal/brokertest"
	"github.com/beamlens/beamlens/runners"
	"github.com/beamlens/beamlens/transforms/endpoint"
)

// failsUpFront runs args and checks the pre-flight contract: exit 2, no
// pipeline handed to a runner, no record read, and a last line on stderr
// that names the problem.
func failsUpFront(t *testing.T, args []string, want string) time.Duration {
	t.Helper()
	submitted := false
	old := beforeRun
	beforeRun = func(*beam.Pipeline) { submitted = true }
	t.Cleanup(func() { beforeRun = old })
	readBefore := recordsRead()
	start := time.Now()
	code, _, stderr := runCLI(t, args...)
	took := time.Since(start)
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	if code != 2 {
		t.Errorf("%v: exit %d, want 2; stderr:\n%s", args, code, stderr)
	}
	if submitted {
		t.Errorf("%v: a pipeline was handed to the runner before the failure", args)
	}
	if n := recordsRead() - readBefore; n != 0 {
		t.Errorf("%v: %d records were read before the failure", args, n)
	}
	if !strings.Contains(last, want) {
		t.Errorf("%v: last line %q does not say %q; stderr:\n%s", args, last, want, stderr)
	}
	return took
}

func sensorFile(t *testing.T) (dir, in string) {
	dir = t.TempDir()
	in = filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(in, []byte(`{"device_id":"d","timestamp":0,"temperature":120}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, in
}

func TestPreflightInputTopicMissing(t *testing.T) {
	addr := brokertest.NewKafka(t, kfake.SeedTopics(1, "sensor_data")).Brokers[0]
	dir := t.TempDir()
	failsUpFront(t, []string{"anomalies", "--input=kafka://" + addr + "/sensor_dta", "--bounded", "--output=" + filepath.Join(dir, "out")},
		`--input: "sensor_dta": topic does not exist on `+addr)
	failsUpFront(t, []string{"themes", "--input=kafka://" + addr + "/product_reviews", "--output=-", "--llm=offline"},
		`--input: "product_reviews": topic does not exist`)
}

func TestPreflightKafkaBrokersDown(t *testing.T) {
	addr := closedPort(t)
	failsUpFront(t, []string{"anomalies", "--input=kafka://" + addr + "/sensor_data", "--output=-"}, "no answer from the Kafka brokers "+addr)
}

func TestPreflightSubscriptionMissing(t *testing.T) {
	pubsubFake(t, "readings")
	failsUpFront(t, []string{"anomalies", "--input=pubsub://projects/beamlens-test/subscriptions/readngs-sub", "--output=-"},
		`--input: "readngs-sub" in project "beamlens-test": subscription does not exist`)
}

func TestPreflightJobServerAbsent(t *testing.T) {
	dir, in := sensorFile(t)
	endpoint := closedPort(t)
	// --endpoint sets Beam's global flag, which prism would use too.
	old := *jobopts.Endpoint
	t.Cleanup(func() { *jobopts.Endpoint = old })
	took := failsUpFront(t, []string{"anomalies", "--input=" + in, "--output=" + filepath.Join(dir, "out"), "--runner=flink", "--endpoint=" + endpoint},
		"no Beam job server answers at --endpoint="+endpoint)
	// The check's own deadline is preflightTimeout; the SDK alone waited
	// minutes while it printed "running on flink".
	if took > 4*preflightTimeout {
		t.Errorf("the absent job server was reported after %s", took)
	}
	t.Logf("absent job server reported in %s", took.Round(time.Millisecond))
}

func TestPreflightOutputHoldsResults(t *testing.T) {
	dir, in := sensorFile(t)
	out := filepath.Join(dir, "out")
	if code, _, stderr := runCLI(t, "anomalies", "--input="+in, "--output="+out, "--detectors=threshold"); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	before, _ := os.ReadFile(filepath.Join(out, "anomalies.jsonl"))
	failsUpFront(t, []string{"anomalies", "--input=" + in, "--output=" + out, "--detectors=threshold"},
		"--output="+out+" already holds beamlens outputs (anomalies.jsonl, window_stats.jsonl, deadletters.jsonl): add --overwrite")
	after, _ := os.ReadFile(filepath.Join(out, "anomalies.jsonl"))
	if string(before) != string(after) || len(after) == 0 {
		t.Errorf("the refused run touched the earlier results")
	}
	// A stopped run's hidden shards are never results: the next run removes
	// them. --overwrite replaces every earlier stream, also one this run
	// does not write (--window=off writes no window statistics).
	shard := filepath.Join(out, ".anomalies.jsonl.0123abcd.shard-42")
	tmp := filepath.Join(out, ".deadletters.jsonl.tmp-7")
	os.WriteFile(shard, []byte("{\"stale\":1}\n"), 0o644)
	os.WriteFile(tmp, []byte("{\"stale\":2}\n"), 0o644)
	if code, _, stderr := runCLI(t, "anomalies", "--input="+in, "--output="+out, "--detectors=threshold", "--window=off", "--overwrite"); code != 0 {
		t.Fatalf("--overwrite: exit %d: %s", code, stderr)
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"anomalies.jsonl", "deadletters.jsonl"}; !slices.Equal(names, want) {
		t.Errorf("after --overwrite --window=off the output holds %q, want %q", names, want)
	}
	// A directory holding other files is not a beamlens output: fine.
	if code, _, stderr := runCLI(t, "anomalies", "--input="+in, "--output="+dir, "--detectors=threshold"); code != 0 {
		t.Fatalf("output into a directory without beamlens outputs: exit %d: %s", code, stderr)
	}
}

func TestPreflightOutputIsAFile(t *testing.T) {
	dir, in := sensorFile(t)
	res := filepath.Join(dir, "results.jsonl")
	failsUpFront(t, []string{"anomalies", "--input=" + in, "--output=" + res},
		"an output is a directory that gets one .jsonl file per stream (anomalies.jsonl, ...); write --output="+filepath.Join(dir, "results")+", or --output=- for stdout")
	if _, err := os.Stat(res); !os.IsNotExist(err) {
		t.Errorf("%s was created: %v", res, err)
	}
}

func TestPreflightOutputIsAnExistingFile(t *testing.T) {
	dir, in := sensorFile(t)
	f := filepath.Join(dir, "results")
	os.WriteFile(f, []byte("mine\n"), 0o644)
	failsUpFront(t, []string{"anomalies", "--input=" + in, "--output=" + f}, "--output="+f+" exists and is a file")
}

func TestFlagSuggestions(t *testing.T) {
	_, in := sensorFile(t)
	for _, c := range []struct{ flag, want string }{
		{"--detector=threshold", "unknown flag --detector; did you mean --detectors?"},
		{"--treshold=90", "did you mean --threshold?"},
		{"--kafka_tls", "did you mean --kafka-tls?"},
		{"--ouput=x", "did you mean --output?"},
		{"--frobnicate", "unknown flag --frobnicate (beamlens anomalies --help lists the flags)"},
	} {
		code, _, stderr := runCLI(t, "anomalies", "--input="+in, c.flag)
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line with %q", c.flag, code, stderr, c.want)
		}
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestPreflightLLMServer(t *testing.T) {
	dir := t.TempDir()
	reviews := filepath.Join(dir, "reviews.jsonl")
	os.WriteFile(reviews, []byte(`{"review_id":"r1","product_id":"p","timestamp":0,"review_text":"battery died"}`+"\n"), 0o644)
	t.Setenv("OPENAI_API_KEY", "sk-test-key-for-preflight")
	dead := "http://" + closedPort(t) + "/v1"
	failsUpFront(t, []string{"themes", "--llm=openai", "--llm-base-url=" + dead, "--input=" + reviews, "--output=" + filepath.Join(dir, "out")},
		"--llm-base-url: no answer from the LLM server at "+dead)
}

func TestStoppedRunLeavesNoShards(t *testing.T) {
	dir := t.TempDir()
	shard := filepath.Join(dir, ".anomalies.jsonl.0123abcd.shard-1")
	write := func() {
		if err := os.WriteFile(shard, []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := endpoint.URI{Kind: endpoint.File, Path: dir}
	write()
	removeStoppedLeftovers(out, nil)
	if _, err := os.Stat(shard); err != nil {
		t.Errorf("a finished run's cleanup touched %s: %v", shard, err)
	}
	removeStoppedLeftovers(out, fmt.Errorf("job: %w", runners.ErrCancelled))
	if _, err := os.Stat(shard); !os.IsNotExist(err) {
		t.Errorf("a cancelled run left %s (%v)", shard, err)
	}
	write()
	removeStoppedLeftovers(out, errStopped)
	if _, err := os.Stat(shard); !os.IsNotExist(err) {
		t.Errorf("a stopped run left %s (%v)", shard, err)
	}
}
