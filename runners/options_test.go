package runners

import (
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
)

// keepJobFlags restores Beam's global job flags that a test changes.
func keepJobFlags(t *testing.T) {
	t.Helper()
	env, cfg, bin, exp, end, async := *jobopts.EnvironmentType, *jobopts.EnvironmentConfig, *jobopts.WorkerBinary, *jobopts.Experiments, *jobopts.Endpoint, *jobopts.Async
	t.Cleanup(func() {
		*jobopts.EnvironmentType, *jobopts.EnvironmentConfig, *jobopts.WorkerBinary, *jobopts.Experiments, *jobopts.Endpoint, *jobopts.Async = env, cfg, bin, exp, end, async
	})
}

func TestAsyncNeedsWorkersOutsideThisProcess(t *testing.T) {
	keepJobFlags(t)
	*jobopts.Endpoint, *jobopts.Async = "localhost:1", true
	for env, ok := range map[string]bool{"": false, "LOOPBACK": false, "loopback": false, "PROCESS": true, "EXTERNAL": true} {
		*jobopts.EnvironmentType = env
		err := Options{Runner: "flink"}.Validate()
		if ok != (err == nil) {
			t.Errorf("--async with environment %q: Validate() = %v", env, err)
		}
	}
	*jobopts.EnvironmentType = "PROCESS"
	if err := (Options{Runner: "prism"}).Validate(); err == nil || !strings.Contains(err.Error(), "--async") {
		t.Errorf("--async on prism: Validate() = %v, want a refusal", err)
	}
}

func TestFlinkSavepointNeedsFlink(t *testing.T) {
	keepJobFlags(t)
	if err := (Options{Runner: "prism", FlinkSavepoint: "file:/x"}).Validate(); err == nil {
		t.Error("--flink-savepoint on prism was accepted")
	}
}

// TestFlinkJobFlags: beamlens stages itself as the worker of runner-started
// environments (else the Go SDK compiles the main package from source),
// never for loopback workers, and passes the savepoint and boundedness to
// the patched job server as experiments.
func TestFlinkJobFlags(t *testing.T) {
	keepJobFlags(t)
	*jobopts.EnvironmentType, *jobopts.WorkerBinary, *jobopts.Experiments = "PROCESS", "", ""
	Options{Runner: "flink", Bounded: true, FlinkSavepoint: "file:/sp/1"}.setFlinkJobFlags()
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		self, _ := os.Executable()
		if *jobopts.WorkerBinary != self {
			t.Errorf("worker binary %q, want this binary %q", *jobopts.WorkerBinary, self)
		}
	}
	exps := jobopts.GetExperiments()
	if !slices.Contains(exps, boundedExperiment) || !slices.Contains(exps, savepointExperiment+"file:/sp/1") {
		t.Errorf("experiments %v lack the bounded and savepoint ones", exps)
	}

	*jobopts.EnvironmentType, *jobopts.WorkerBinary = "", ""
	Options{Runner: "flink"}.setFlinkJobFlags()
	if *jobopts.EnvironmentType != "LOOPBACK" || *jobopts.WorkerBinary != "" {
		t.Errorf("default: environment %q, worker binary %q; want LOOPBACK and none", *jobopts.EnvironmentType, *jobopts.WorkerBinary)
	}

	*jobopts.EnvironmentType, *jobopts.WorkerBinary = "PROCESS", "/opt/worker"
	Options{Runner: "flink"}.setFlinkJobFlags()
	if *jobopts.WorkerBinary != "/opt/worker" {
		t.Errorf("a given --worker_binary was replaced by %q", *jobopts.WorkerBinary)
	}
}
