package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/beamlens/beamlens/internal/brokertest"
	"github.com/beamlens/beamlens/internal/pipetest"
	"github.com/beamlens/beamlens/models/llm/llmtest"
)

// Canary secrets: unique strings whose every appearance is a leak.
const (
	canaryLLMKey    = "sk-canary-7Hq2LmZx9Pw4RtVb"
	canaryKafkaPass = "canary-kafka-Yd83KsQ1mNp"
)

// TestSecretsNeverShow runs both pipelines with real secrets in play - an
// LLM key against a server that fails a fifth of the calls and one that
// rejects the key and echoes it back, a Kafka SASL password right and wrong
// - and then searches everything a user or an operator could see for them:
// every byte written to the process's stdout and stderr (Beam's and slog's
// logs included), the CLI's output and errors, every output file and dead
// letter, and each pipeline as serialised for the workers.
func TestSecretsNeverShow(t *testing.T) {
	var shipped [][]byte
	beforeRun = func(p *beam.Pipeline) { shipped = append(shipped, pipetest.Serialised(t, p)) }
	defer func() { beforeRun = nil }()
	logs := captureProcessOutput(t)

	dir := t.TempDir()
	var seen bytes.Buffer
	cli := func(wantOK bool, args ...string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, args...)
		seen.WriteString(stdout + stderr)
		if (code == 0) != wantOK {
			t.Fatalf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}

	// LLM: the key comes from the environment, as documented.
	t.Setenv("OPENAI_API_KEY", canaryLLMKey)
	reviews := filepath.Join(dir, "reviews.jsonl")
	if code, _, stderr := runCLI(t, "gen", "reviews", "--n=300", "--seed=3", "--out="+reviews); code != 0 {
		t.Fatal(stderr)
	}
	flaky := llmtest.NewServer(llmtest.Config{Seed: 11, APIKey: canaryLLMKey,
		RateLimitProb: 0.05, ServerErrorProb: 0.05, ResetProb: 0.04, GarbageProb: 0.03, WrongSchemaProb: 0.03,
		RetryAfter: 5 * time.Millisecond})
	defer flaky.Close()
	cli(true, "themes", "--llm=openai", "--llm-base-url="+flaky.URL(), "--llm-model=test", "--input="+reviews, "--output="+filepath.Join(dir, "themes-flaky"))
	rejecting := llmtest.NewServer(llmtest.Config{APIKey: "sk-some-other-key"})
	defer rejecting.Close()
	cli(false, "themes", "--llm=openai", "--llm-base-url="+rejecting.URL(), "--llm-model=test", "--input="+reviews, "--output="+filepath.Join(dir, "themes-rejected"))
	if rejecting.Stats().Unauthorized == 0 {
		t.Fatal("the rejecting server saw no request: the key was never sent")
	}

	// Kafka: the password comes from the environment, as documented.
	const user = "beamlens"
	k := brokertest.NewSASLKafka(t, "SCRAM-SHA-256", user, canaryKafkaPass, "sensor_data")
	addr := k.Brokers[0]
	for _, v := range []string{`{"device_id":"d1","timestamp":1735689600000,"temperature":120}`, `not json`} {
		k.ProduceRecords(t, &kgo.Record{Topic: "sensor_data", Value: []byte(v)})
	}
	kafka := func(out string) []string {
		return []string{"anomalies", "--input=kafka://" + addr + "/sensor_data", "--bounded", "--detectors=threshold",
			"--kafka-sasl=scram-sha-256", "--kafka-user=" + user, "--output=" + filepath.Join(dir, out)}
	}
	t.Setenv("KAFKA_SASL_PASSWORD", canaryKafkaPass)
	cli(true, kafka("kafka-ok")...)
	t.Setenv("KAFKA_SASL_PASSWORD", "wrong-"+canaryKafkaPass)
	cli(false, kafka("kafka-wrong")...)

	// Everything that was written, shown or shipped.
	files := map[string][]byte{"CLI stdout and stderr": seen.Bytes(), "process stdout and stderr": logs()}
	for i, b := range shipped {
		files["serialised pipeline "+string(rune('1'+i))] = b
	}
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && path != reviews {
			files[path], _ = os.ReadFile(path)
		}
		return nil
	})
	// The wrong Kafka password is caught by the pre-flight check, before
	// a pipeline is built: three runs built one.
	if len(shipped) != 3 {
		t.Errorf("%d pipelines serialised, want 3", len(shipped))
	}
	if n := len(files); n < 8 {
		t.Errorf("only %d places searched", n)
	}
	for where, b := range files {
		for _, secret := range []string{canaryLLMKey, canaryKafkaPass} {
			if pipetest.Holds(b, secret) {
				t.Errorf("%s holds a secret (%s...)", where, secret[:10])
			}
		}
	}
	// The search itself must work: the rejected run's dead letters or
	// errors mention the key's fingerprint, never the key.
	if !strings.Contains(seen.String(), "401") && !strings.Contains(seen.String(), "API key") {
		t.Errorf("the rejected key's error is not shown to the user:\n%s", seen.String())
	}
}

// captureProcessOutput sends file descriptors 1 and 2 to a file until the
// test ends, so loggers that hold os.Stderr from init are caught too, and
// returns a function that reads what was written.
func captureProcessOutput(t *testing.T) func() []byte {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "output")
	if err != nil {
		t.Fatal(err)
	}
	var saved [2]int
	for i, fd := range []int{1, 2} {
		if saved[i], err = syscall.Dup(fd); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Dup3(int(f.Fd()), fd, 0); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for i, fd := range []int{1, 2} {
			syscall.Dup3(saved[i], fd, 0)
			syscall.Close(saved[i])
		}
		f.Close()
	})
	return func() []byte {
		b, _ := os.ReadFile(f.Name())
		return b
	}
}
