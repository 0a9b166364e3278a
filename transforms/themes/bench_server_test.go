package themes

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beamlens/beamlens/models/llm/llmtest"
)

// benchServeEnv, set in a child of the test binary, makes it serve
// llmtest's fake server instead of running tests (see TestMain): the
// benchmarks' server runs in its own process, as a real one does, so that
// its goroutines do not queue behind prism's in the scheduler of the
// process under test.
const benchServeEnv = "BEAMLENS_BENCH_SERVE"

// benchServer is the benchmark's fake LLM server: in this process, or a
// child process (BEAMLENS_BENCH_SERVER=process, the default).
type benchServer interface {
	URL() string
	Stats() llmtest.Stats
	Close()
}

// startBenchServer starts the server the benchmarks talk to: 300 ms an
// answer, 600 requests a minute with the given burst.
func startBenchServer(b *testing.B, burst int) benchServer {
	b.Helper()
	cfg := llmtest.Config{Latency: benchLatency, RequestsPerMinute: benchRPM, Burst: burst}
	switch where := os.Getenv("BEAMLENS_BENCH_SERVER"); where {
	case "inproc":
		return llmtest.NewServer(cfg)
	case "", "process":
	default:
		b.Fatalf("BEAMLENS_BENCH_SERVER=%q: want process or inproc", where)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchServeEnv+"="+strconv.Itoa(burst))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &processServer{cmd: cmd, in: in, out: bufio.NewReader(out)}
	line, err := p.out.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		p.kill()
		b.Fatalf("bench server: first line %q, %v", line, err)
	}
	p.url = strings.TrimSpace(line)
	return p
}

// processServer is llmtest's server in a child process: it prints its URL,
// serves until its standard input closes, then prints its Stats as JSON.
type processServer struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Reader
	url   string
	stats llmtest.Stats
	done  bool
}

func (p *processServer) URL() string { return p.url }

// Stats stops the server, if it still runs, and returns its counters.
func (p *processServer) Stats() llmtest.Stats {
	if !p.done {
		p.done = true
		p.in.Close()
		if err := json.NewDecoder(p.out).Decode(&p.stats); err != nil {
			fmt.Fprintln(os.Stderr, "bench server: stats:", err)
		}
		_ = p.cmd.Wait()
	}
	return p.stats
}

func (p *processServer) Close() { p.Stats() }

func (p *processServer) kill() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

// serveBench is the child's side: spec is the budget's burst.
func serveBench(spec string) {
	burst, err := strconv.Atoi(spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		os.Exit(2)
	}
	srv := llmtest.NewServer(llmtest.Config{Latency: benchLatency, RequestsPerMinute: benchRPM, Burst: burst})
	fmt.Println(srv.URL())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it
	// Let answers in flight finish before counting.
	time.Sleep(2 * benchLatency)
	st := srv.Stats()
	srv.Close()
	if err := json.NewEncoder(os.Stdout).Encode(st); err != nil {
		os.Exit(2)
	}
	os.Exit(0)
}
