package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/beamlens/beamlens/internal/pyenvtest"
)

// The model detector's integration tests need the Python side
// (internal/pyenvtest): scikit-learn to train, skl2onnx to export,
// onnxruntime and MLServer.

const modelMetrics = "--metrics=current,pressure,vibration"

// trained is the IsolationForest fixture, trained once per test binary.
var trained struct {
	once sync.Once
	dir  string
	err  error
}

// trainIForest trains a scikit-learn IsolationForest on a generated
// multivariate stream and exports it (scripts/models/iforest.py): the
// directory holds iforest.onnx, model.joblib with MLServer's settings,
// stream.jsonl and expected.jsonl (Python onnxruntime's label and score,
// and scikit-learn's own predict, per line).
func trainIForest(t *testing.T) string {
	venv := pyenvtest.Venv(t)
	trained.once.Do(func() {
		// Under the run directory (git-ignored), made anew by each test
		// binary, so nothing piles up in the system's temp folder.
		run := os.Getenv("BEAMLENS_RUN_DIR")
		if run == "" {
			run = "../../.run"
		}
		trained.dir = filepath.Join(run, "model-fixture")
		if trained.err = os.RemoveAll(trained.dir); trained.err != nil {
			return
		}
		if trained.dir, trained.err = filepath.Abs(trained.dir); trained.err != nil {
			return
		}
		cmd := exec.Command(filepath.Join(venv, "bin", "python"), "../../scripts/models/iforest.py", trained.dir, "--readings=5000", "--devices=10")
		out, err := cmd.CombinedOutput()
		if err != nil {
			trained.err = fmt.Errorf("iforest.py: %v\n%s", err, out)
		}
	})
	if trained.err != nil {
		t.Fatal(trained.err)
	}
	return trained.dir
}

// expectedRow is one line of expected.jsonl.
type expectedRow struct {
	Device    string  `json:"device_id"`
	Timestamp int64   `json:"timestamp"`
	Label     int64   `json:"label"`
	Score     float64 `json:"score"`
	SKLearn   int64   `json:"sklearn"`
}

func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	return out
}

// flaggedRow is the part of an anomaly record the tests compare.
type flaggedRow struct {
	Device    string  `json:"device_id"`
	Timestamp int64   `json:"timestamp"`
	Detector  string  `json:"detector"`
	Score     float64 `json:"score"`
}

// flagged reads an output's anomalies by device and timestamp, failing on
// a reading flagged twice.
func flagged(t *testing.T, out string) map[string]flaggedRow {
	t.Helper()
	got := map[string]flaggedRow{}
	for _, a := range readJSONL[flaggedRow](t, filepath.Join(out, "anomalies.jsonl")) {
		k := fmt.Sprintf("%s@%d", a.Device, a.Timestamp)
		if _, dup := got[k]; dup {
			t.Errorf("%s flagged twice", k)
		}
		if a.Detector != "model" {
			t.Errorf("%s: detector %q", k, a.Detector)
		}
		got[k] = a
	}
	return got
}

func noDeadLetters(t *testing.T, out string) {
	t.Helper()
	if b, err := os.ReadFile(filepath.Join(out, "deadletters.jsonl")); err != nil || len(b) != 0 {
		t.Errorf("dead letters: %.500s (%v)", b, err)
	}
}

// TestIntegrationModelONNX: beamlens flags exactly the readings Python's
// onnxruntime flags with the same file, with the same scores (1e-5), and
// agrees with scikit-learn's own predict on at least 99.5% of readings;
// judged on the score output with a threshold, it flags exactly the
// readings whose Python score is below it.
func TestIntegrationModelONNX(t *testing.T) {
	dir := trainIForest(t)
	want := readJSONL[expectedRow](t, filepath.Join(dir, "expected.jsonl"))
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runCLI(t, "anomalies", "--detectors=model", "--model="+filepath.Join(dir, "iforest.onnx"),
		modelMetrics, "--input="+filepath.Join(dir, "stream.jsonl"), "--output="+out, "--window=off"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := flagged(t, out)
	noDeadLetters(t, out)
	outliers, agree := 0, 0
	for _, w := range want {
		k := fmt.Sprintf("%s@%d", w.Device, w.Timestamp)
		a, isFlagged := got[k]
		if (w.Label == -1) != isFlagged {
			t.Errorf("%s: beamlens flagged %v, onnxruntime's label is %d", k, isFlagged, w.Label)
		}
		if isFlagged && math.Abs(a.Score-w.Score) > 1e-5 {
			t.Errorf("%s: score %v, onnxruntime's %v", k, a.Score, w.Score)
		}
		if (w.SKLearn == -1) == isFlagged {
			agree++
		}
		if w.Label == -1 {
			outliers++
		}
	}
	if outliers < 10 || len(got) != outliers {
		t.Errorf("beamlens flagged %d readings, onnxruntime %d (the stream must hold outliers)", len(got), outliers)
	}
	if frac := float64(agree) / float64(len(want)); frac < 0.995 {
		t.Errorf("agreement with scikit-learn's predict %.4f < 0.995", frac)
	}
	t.Logf("%d readings, %d flagged; agreement with scikit-learn's predict %d/%d", len(want), len(got), agree, len(want))

	const threshold = -0.02
	out2 := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runCLI(t, "anomalies", "--detectors=model", "--model="+filepath.Join(dir, "iforest.onnx"),
		fmt.Sprintf("--model-threshold=%g", threshold), modelMetrics,
		"--input="+filepath.Join(dir, "stream.jsonl"), "--output="+out2, "--window=off"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got = flagged(t, out2)
	n := 0
	for _, w := range want {
		k := fmt.Sprintf("%s@%d", w.Device, w.Timestamp)
		// Scores within 1e-5 of the threshold may fall either side.
		if math.Abs(w.Score-threshold) < 1e-5 {
			continue
		}
		if _, isFlagged := got[k]; isFlagged != (w.Score < threshold) {
			t.Errorf("threshold %g: %s flagged %v with Python score %v", threshold, k, isFlagged, w.Score)
		}
		if w.Score < threshold {
			n++
		}
	}
	if n == 0 || n == outliers {
		t.Errorf("threshold %g flags %d readings: pick one that differs from the label's %d", threshold, n, outliers)
	}
}

// TestIntegrationModelFailsAtStart: a model whose input width differs from
// --metrics, and a corrupt model file, fail the command at start with a
// message naming the problem, before any output is written.
func TestIntegrationModelFailsAtStart(t *testing.T) {
	dir := trainIForest(t)
	corrupt := filepath.Join(t.TempDir(), "corrupt.onnx")
	b, err := os.ReadFile(filepath.Join(dir, "iforest.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corrupt, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		model, metrics string
		want           []string
	}{
		{filepath.Join(dir, "iforest.onnx"), "--metrics=current,pressure", []string{"takes 3 features", "2 metrics are given"}},
		{filepath.Join(dir, "iforest.onnx"), "--metrics=current,pressure,vibration,temperature", []string{"takes 3 features", "4 metrics are given"}},
		{corrupt, modelMetrics, []string{"corrupt.onnx is not a model ONNX Runtime can load"}},
		{filepath.Join(dir, "missing.onnx"), modelMetrics, []string{"missing.onnx", "no such file"}},
	} {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := runCLI(t, "anomalies", "--detectors=model", "--model="+c.model, c.metrics,
			"--input="+filepath.Join(dir, "stream.jsonl"), "--output="+out)
		if code != 2 {
			t.Errorf("%s %s: exit %d, want 2 (%s)", c.model, c.metrics, code, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s %s: message %q lacks %q", c.model, c.metrics, stderr, w)
			}
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: output written before the check failed", c.model)
		}
	}
}

// mlserver is a real MLServer (mlserver + mlserver-sklearn) serving the
// fixture's model.joblib on loopback; it can be killed and started again.
type mlserver struct {
	t        *testing.T
	venv     string
	dir      string
	httpPort int
	mu       sync.Mutex
	cmd      *exec.Cmd
	log      *os.File
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startMLServer(t *testing.T, venv, fixture string) *mlserver {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"model.joblib", "model-settings.json"} {
		b, err := os.ReadFile(filepath.Join(fixture, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	m := &mlserver{t: t, venv: venv, dir: dir, httpPort: freePort(t)}
	// parallel_workers 0: with the uvloop pip brings today MLServer's
	// worker processes die at start.
	settings := fmt.Sprintf(`{"host": "127.0.0.1", "http_port": %d, "grpc_port": %d, "metrics_port": %d, "parallel_workers": 0}`,
		m.httpPort, freePort(t), freePort(t))
	if err := os.WriteFile(filepath.Join(dir, "settings.json"), []byte(settings), 0o644); err != nil {
		t.Fatal(err)
	}
	var err error
	if m.log, err = os.Create(filepath.Join(dir, "mlserver.log")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.kill(); m.log.Close() })
	m.start()
	m.waitReady()
	return m
}

func (m *mlserver) start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	cmd := exec.Command(filepath.Join(m.venv, "bin", "mlserver"), "start", m.dir)
	cmd.Dir = m.dir
	cmd.Stdout, cmd.Stderr = m.log, m.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		m.t.Errorf("starting mlserver: %v", err)
		return
	}
	m.cmd = cmd
}

// kill stops the server hard (SIGKILL to its process group), as a crash
// would, and waits for it.
func (m *mlserver) kill() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return
	}
	syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	m.cmd.Wait()
	m.cmd = nil
}

func (m *mlserver) url() string { return fmt.Sprintf("http://127.0.0.1:%d", m.httpPort) }

func (m *mlserver) waitReady() {
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(m.url() + "/v2/models/iforest/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	log, _ := os.ReadFile(m.log.Name())
	m.t.Fatalf("MLServer not ready after 3 minutes:\n%.3000s", log)
}

// TestIntegrationModelMLServer: the same model served by a real MLServer
// gives, through the KServe v2 path, the flags scikit-learn's predict
// gives; MLServer is killed in the middle of the stream and started again
// a few seconds later: the stream pauses, and no reading is lost or
// flagged twice.
func TestIntegrationModelMLServer(t *testing.T) {
	venv := pyenvtest.Venv(t)
	dir := trainIForest(t)
	srv := startMLServer(t, venv, dir)

	// A proxy in front of MLServer counts the inference requests and
	// kills the server on the third one, mid-stream, then starts it again.
	backend, _ := url.Parse(srv.url())
	proxy := httputil.NewSingleHostReverseProxy(backend)
	var infers atomic.Int32
	restarted := make(chan struct{})
	front := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/infer") && infers.Add(1) == 3 {
			srv.kill()
			go func() {
				time.Sleep(3 * time.Second)
				srv.start()
				close(restarted)
			}()
		}
		proxy.ServeHTTP(w, r)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go front.Serve(l)
	defer front.Close()

	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, "anomalies", "--detectors=model", "--model=http://"+l.Addr().String()+"/v2/models/iforest",
		"--model-batch=250", modelMetrics, "--input="+filepath.Join(dir, "stream.jsonl"), "--output="+out, "--window=off")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	select {
	case <-restarted:
	default:
		t.Fatalf("the server was not killed mid-stream: %d inference requests", infers.Load())
	}
	got := flagged(t, out)
	noDeadLetters(t, out)
	want := readJSONL[expectedRow](t, filepath.Join(dir, "expected.jsonl"))
	outliers, agreeONNX := 0, 0
	for _, w := range want {
		k := fmt.Sprintf("%s@%d", w.Device, w.Timestamp)
		_, isFlagged := got[k]
		if (w.SKLearn == -1) != isFlagged {
			t.Errorf("%s: flagged %v through MLServer, scikit-learn's predict is %d", k, isFlagged, w.SKLearn)
		}
		if (w.Label == -1) == isFlagged {
			agreeONNX++
		}
		if w.SKLearn == -1 {
			outliers++
		}
	}
	if len(got) != outliers || outliers < 10 {
		t.Errorf("%d flagged through MLServer, scikit-learn %d", len(got), outliers)
	}
	t.Logf("%d inference requests, the server killed at the 3rd; %d flagged; agreement with the ONNX labels %d/%d", infers.Load(), len(got), agreeONNX, len(want))
}
