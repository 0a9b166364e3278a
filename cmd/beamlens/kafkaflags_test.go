package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/beamlens/beamlens/internal/brokertest"
)

// TestKafkaSASLFromTheCommandLine reads a SCRAM-protected topic through the
// CLI flags, with the password from a file; a wrong password fails the run
// without the password appearing in what the user sees.
func TestKafkaSASLFromTheCommandLine(t *testing.T) {
	const user, pass = "beamlens", "s3cret-Pa55-word"
	k := brokertest.NewSASLKafka(t, "SCRAM-SHA-256", user, pass, "sensor_data")
	addr := k.Brokers[0]
	for _, v := range []string{`{"device_id":"d1","timestamp":1735689600000,"temperature":120}`, `{"device_id":"d1","timestamp":1735689660000,"temperature":20}`} {
		k.ProduceRecords(t, &kgo.Record{Topic: "sensor_data", Value: []byte(v)})
	}
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good"), filepath.Join(dir, "bad")
	os.WriteFile(good, []byte(pass+"\n"), 0o600)
	os.WriteFile(bad, []byte("wrong-"+pass+"\n"), 0o600)
	args := func(pwFile string) []string {
		return []string{"anomalies", "--input=kafka://" + addr + "/sensor_data", "--bounded", "--output=" + filepath.Join(dir, "out"), "--detectors=threshold",
			"--kafka-sasl=scram-sha-256", "--kafka-user=" + user, "--kafka-password-file=" + pwFile}
	}
	code, _, stderr := runCLI(t, args(good)...)
	got, _ := os.ReadFile(filepath.Join(dir, "out", "anomalies.jsonl"))
	if code != 0 || strings.Count(string(got), `"anomaly":true`) != 1 || !strings.Contains(string(got), `"temperature":120`) {
		t.Fatalf("exit %d, anomalies %q, stderr %q", code, got, stderr)
	}
	code, stdout, stderr := runCLI(t, args(bad)...)
	if code == 0 {
		t.Fatalf("a wrong password succeeded: %q", stdout)
	}
	if strings.Contains(stdout+stderr, pass) {
		t.Fatalf("the password leaked into the output: %q", stdout+stderr)
	}
}

func TestKafkaSecurityUsageErrors(t *testing.T) {
	in := []string{"anomalies", "--input=kafka://127.0.0.1:9/t", "--bounded", "--output=-"}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--kafka-sasl=GSSAPI", "--kafka-user=u"}, "--kafka-sasl: want PLAIN"},
		{[]string{"--kafka-sasl=PLAIN"}, "needs --kafka-user"},
		{[]string{"--kafka-user=u"}, "need --kafka-sasl"},
		{[]string{"--kafka-tls-cert=c.pem"}, "go together"},
	} {
		code, _, stderr := runCLI(t, append(append([]string{}, in...), c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr, c.msg)
		}
	}
}
