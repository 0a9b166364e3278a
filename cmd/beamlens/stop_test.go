package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// builtBinary builds this command once per test run, for tests that need a
// real process (signals).
var builtBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "beamlens-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "beamlens")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// job is a beamlens process started by a test.
type job struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan error
}

func startJob(t *testing.T, env []string, args ...string) *job {
	t.Helper()
	bin, err := builtBinary()
	if err != nil {
		t.Fatal(err)
	}
	j := &job{cmd: exec.Command(bin, args...), stderr: &syncBuffer{}, done: make(chan error, 1)}
	j.cmd.Env = append(os.Environ(), env...)
	j.cmd.Stderr = j.stderr
	if err := j.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { j.done <- j.cmd.Wait() }()
	t.Cleanup(func() {
		if j.cmd.ProcessState == nil {
			j.cmd.Process.Kill()
			<-j.done
		}
	})
	return j
}

// stop sends sig and waits for the process to end; it returns the exit
// code (-1 when a signal ended it).
func (j *job) stop(t *testing.T, sig os.Signal, within time.Duration) int {
	t.Helper()
	if err := j.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-j.done:
	case <-time.After(within):
		t.Fatalf("the job did not end within %s of %v; stderr:\n%s", within, sig, j.stderr)
	}
	return j.cmd.ProcessState.ExitCode()
}

// waitFor polls cond until it holds, failing the test after timeout or
// when the job ends first.
func (j *job) waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); {
		select {
		case err := <-j.done:
			t.Fatalf("the job ended (%v) before %s; stderr:\n%s", err, what, j.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; stderr:\n%s", timeout, what, j.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// counter reads a counter from the final report on stderr; -1 when absent.
func counter(stderr, name string) int64 {
	m := regexp.MustCompile(`(?m)^  ` + name + ` +(\d+)$`).FindStringSubmatch(stderr)
	if m == nil {
		return -1
	}
	var n int64
	fmt.Sscan(m[1], &n)
	return n
}

// TestSIGINTStopsAStreamingJobCleanly sends SIGINT to a streaming prism
// job (a real process reading a Pub/Sub subscription): it must drain, exit
// 0 and print its final counters, with every message read.
func TestSIGINTStopsAStreamingJobCleanly(t *testing.T) {
	f := pubsubFake(t, "sensor_data", "out", "out.window_stats", "out.dlq")
	in := filepath.Join(t.TempDir(), "sensors.jsonl")
	if code, _, stderr := runCLI(t, "gen", "sensors", "--n=600", "--seed=3", "--out="+in); code != 0 {
		t.Fatal(stderr)
	}
	n := publishFile(t, f, "sensor_data", in)
	j := startJob(t, []string{"PUBSUB_EMULATOR_HOST=" + f.Addr}, "anomalies",
		"--input=pubsub://projects/beamlens-test/subscriptions/sensor_data-sub", "--output=pubsub://projects/beamlens-test/topics/out", "--detectors=threshold")
	j.waitFor(t, 3*time.Minute, "every message read", func() bool {
		return strings.Contains(j.stderr.String(), fmt.Sprintf(": %d records read", n))
	})
	if code := j.stop(t, syscall.SIGINT, 90*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGINT, want 0; stderr:\n%s", code, j.stderr)
	}
	stderr := j.stderr.String()
	for _, want := range []string{"beamlens: done.", "stopped: the sources stopped and the job wrote what it held"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if got := counter(stderr, "pubsub_messages_read"); got != int64(n) {
		t.Errorf("final counters: pubsub_messages_read %d, want %d\n%s", got, n, stderr)
	}
	// Window statistics of the windows still open at the stop were written
	// on the way out.
	if stats := pulled(t, f, "out.window_stats"); stats == 0 {
		t.Error("no window statistics written by the stopped job")
	}
}

// restartCase is the broker, topics and expected anomalies of a restart
// test.
type restartCase struct {
	bootstrap, in, out, group string
	lines                     []string
	want                      map[string]bool // reading_id of every expected anomaly
	cl                        *kgo.Client
}

func newRestartCase(t *testing.T, name string) *restartCase {
	t.Helper()
	bootstrap := os.Getenv("KAFKA_BOOTSTRAP")
	if bootstrap == "" {
		t.Skip("KAFKA_BOOTSTRAP is not set: start a broker with scripts/kafka.sh start and export what it prints")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "sensors.jsonl")
	if code, _, stderr := runCLI(t, "gen", "sensors", "--n=4000", "--seed=5", "--out="+in); code != 0 {
		t.Fatal(stderr)
	}
	out := filepath.Join(dir, "file-run")
	if code, _, stderr := runCLI(t, "anomalies", "--input="+in, "--output="+out, "--detectors=threshold", "--window=off"); code != 0 {
		t.Fatal(stderr)
	}
	rc := &restartCase{bootstrap: bootstrap, want: map[string]bool{}}
	for _, l := range strings.Split(strings.TrimSpace(readFile(t, filepath.Join(out, "anomalies.jsonl"))), "\n") {
		rc.want[readingID(t, []byte(l))] = true
	}
	rc.lines = strings.Split(strings.TrimRight(readFile(t, in), "\n"), "\n")
	suffix := fmt.Sprintf("_%d", time.Now().UnixNano())
	rc.in, rc.out, rc.group = name+suffix, name+"_out"+suffix, name+suffix
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	rc.cl = cl
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 2, 1, nil, rc.in); err != nil {
		t.Fatal(err)
	}
	return rc
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readingID(t *testing.T, b []byte) string {
	t.Helper()
	var a struct {
		ReadingID string `json:"reading_id"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return a.ReadingID
}

func (rc *restartCase) produce(t *testing.T, lines []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	recs := make([]*kgo.Record, len(lines))
	for i, l := range lines {
		recs[i] = &kgo.Record{Topic: rc.in, Value: []byte(l)}
	}
	if err := rc.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func (rc *restartCase) start(t *testing.T) *job {
	return startJob(t, nil, "anomalies", "--input=kafka://"+rc.bootstrap+"/"+rc.in,
		"--output=kafka://"+rc.bootstrap+"/"+rc.out, "--detectors=threshold", "--window=off", "--kafka-group="+rc.group)
}

// anomalies reads the output topic from the start: how often each
// reading_id was written.
func (rc *restartCase) anomalies(t *testing.T) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	adm := kadm.NewClient(rc.cl)
	ends, err := adm.ListEndOffsets(ctx, rc.out)
	if err != nil || ends.Error() != nil {
		return nil // not created yet
	}
	want := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			want[o.Partition] = o.Offset
		}
	})
	got := map[string]int{}
	if len(want) == 0 {
		return got
	}
	offs := map[int32]kgo.Offset{}
	for p := range want {
		offs[p] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(rc.bootstrap), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{rc.out: offs}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading %s: %v", rc.out, ctx.Err())
		}
		fs.EachRecord(func(r *kgo.Record) {
			got[readingID(t, r.Value)]++
			if r.Offset+1 >= want[r.Partition] {
				delete(want, r.Partition)
			}
		})
	}
	return got
}

func (rc *restartCase) waitAll(t *testing.T, j *job, ids map[string]bool) {
	t.Helper()
	j.waitFor(t, 3*time.Minute, fmt.Sprintf("%d anomalies", len(ids)), func() bool {
		got := rc.anomalies(t)
		for id := range ids {
			if got[id] == 0 {
				return false
			}
		}
		return true
	})
}

// expected returns the expected anomalies among lines.
func (rc *restartCase) expected(t *testing.T, lines []string) map[string]bool {
	ids := map[string]bool{}
	for _, l := range lines {
		var r struct {
			ReadingID string `json:"reading_id"`
		}
		if json.Unmarshal([]byte(l), &r) == nil && rc.want[r.ReadingID] {
			ids[r.ReadingID] = true
		}
	}
	return ids
}

// TestIntegrationRestartAfterCleanStopWritesNoAnomalyTwice runs a
// streaming job on the first half of a topic, stops it with SIGINT, adds
// the second half and starts it again with the same group: every expected
// anomaly must be written exactly once.
func TestIntegrationRestartAfterCleanStopWritesNoAnomalyTwice(t *testing.T) {
	rc := newRestartCase(t, "clean_stop")
	half := len(rc.lines) / 2
	rc.produce(t, rc.lines[:half])
	j := rc.start(t)
	rc.waitAll(t, j, rc.expected(t, rc.lines[:half]))
	if code := j.stop(t, syscall.SIGINT, 90*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGINT; stderr:\n%s", code, j.stderr)
	}
	rc.produce(t, rc.lines[half:])
	j = rc.start(t)
	rc.waitAll(t, j, rc.want)
	time.Sleep(3 * time.Second) // room for a duplicate to show up
	if code := j.stop(t, syscall.SIGINT, 90*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGINT; stderr:\n%s", code, j.stderr)
	}
	got := rc.anomalies(t)
	for id, n := range got {
		if n != 1 || !rc.want[id] {
			t.Errorf("anomaly %s written %d times (expected: %v)", id, n, rc.want[id])
		}
	}
	if len(got) != len(rc.want) {
		t.Errorf("%d distinct anomalies, want %d", len(got), len(rc.want))
	}
	t.Logf("%d anomalies, each written once, over a clean stop and a restart", len(got))
}

// TestIntegrationRestartAfterKillMissesNoAnomaly kills a streaming job
// (SIGKILL) while it reads, adds more records and starts it again with the
// same group: no expected anomaly may be missing (some may be written
// twice: at least once).
func TestIntegrationRestartAfterKillMissesNoAnomaly(t *testing.T) {
	rc := newRestartCase(t, "killed")
	half := len(rc.lines) / 2
	rc.produce(t, rc.lines[:half])
	j := rc.start(t)
	j.waitFor(t, 3*time.Minute, "the first anomalies", func() bool { return len(rc.anomalies(t)) > 0 })
	j.stop(t, syscall.SIGKILL, 30*time.Second)
	rc.produce(t, rc.lines[half:])
	j = rc.start(t)
	rc.waitAll(t, j, rc.want)
	if code := j.stop(t, syscall.SIGINT, 90*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGINT; stderr:\n%s", code, j.stderr)
	}
	got := rc.anomalies(t)
	dups := 0
	for id := range rc.want {
		if got[id] == 0 {
			t.Errorf("anomaly %s missing after the kill and restart", id)
		}
		dups += max(got[id]-1, 0)
	}
	t.Logf("%d expected anomalies all written after a SIGKILL and a restart; %d written twice", len(rc.want), dups)
}
