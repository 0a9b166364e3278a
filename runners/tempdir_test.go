package runners

import (
	"context"
	"os"
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
