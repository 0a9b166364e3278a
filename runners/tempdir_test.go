package runners

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
)

func TestMain(m *testing.M) {
	ptest.MainWithDefault(m, "prism")
}

func discard(int) {}

func init() {
	register.Function1x0(discard)
}

// A prism run leaves nothing in the temporary directory (Beam's SDK alone
// leaves an empty beamloopbackworker-* file there on each run), and $TMPDIR
// is what it was before the run.
func TestPrismRunLeavesNothingInTempDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	p, s := beam.NewPipelineWithRoot()
	beam.ParDo0(s, discard, beam.Create(s, 1, 2, 3))
	if _, err := Run(context.Background(), p, Options{Runner: "prism"}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := os.Getenv("TMPDIR"); got != tmp {
		t.Errorf("TMPDIR after the run = %q, want %q", got, tmp)
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left in the temporary directory: %s", e.Name())
	}
}

// Overlapping runs share the private directory: the first to end leaves
// it to the others, and when the last ends $TMPDIR is the user's again and
// nothing is left.
func TestOverlappingRunsRestoreTempDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var entered, running sync.WaitGroup
	entered.Add(3)
	release, firstDone := make(chan struct{}), make(chan struct{})
	inside := make(chan string, 3)
	for i := range 3 {
		running.Add(1)
		go func() {
			defer running.Done()
			withPrivateTempDir(func() error {
				inside <- os.TempDir()
				entered.Done()
				entered.Wait()
				if i == 0 {
					defer close(firstDone)
				} else {
					<-release
				}
				f, err := os.CreateTemp("", "leftover-*")
				if err == nil {
					f.Close()
				}
				return err
			})
		}()
	}
	<-firstDone
	dirs := map[string]bool{}
	for range 3 {
		dirs[<-inside] = true
	}
	if len(dirs) != 1 || dirs[tmp] {
		t.Errorf("runs saw temporary directories %v, want one of their own inside %s", dirs, tmp)
	}
	for dir := range dirs {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("the shared directory is gone while runs go on: %v", err)
		}
	}
	close(release)
	running.Wait()
	if got := os.Getenv("TMPDIR"); got != tmp {
		t.Errorf("TMPDIR after the runs = %q, want %q", got, tmp)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left in the temporary directory: %v", left)
	}
}
