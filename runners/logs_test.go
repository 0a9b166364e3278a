package runners

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
)

func TestQuietLogs(t *testing.T) {
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	// Beam's default logger (through slog): a pipeline run in this process
	// (TestPrismRunLeavesNothingInTempDir) leaves its worker's logger
	// installed, which sends to the runner it ran on.
	log.SetLogger(&log.Structural{})
	ctx := context.Background()
	emit := func() {
		// The warning Beam logs while building a ParDo with an unbounded,
		// globally windowed side input (beam/pardo.go).
		log.Warnf(ctx, "side input 0 is global windowed in DoFn detectFn but is unbounded, DoFn will block until end of Global Window.")
		slog.Error("job failed", "error", "bundle inst001 stage-001 failed: Plan[...]")
		log.Warnf(ctx, "kafkaio.Read: committing offset 7 of t/0 to group g: broker gone")
		log.Infof(ctx, "starting stage-001")
	}
	var quiet, verbose bytes.Buffer
	QuietLogs(&quiet, false)
	emit()
	QuietLogs(&verbose, true)
	emit()
	if q := quiet.String(); strings.Contains(q, "side input") || strings.Contains(q, "job failed") || strings.Contains(q, "starting stage") ||
		!strings.Contains(q, "committing offset 7") {
		t.Errorf("quiet logs: want only the commit warning, got:\n%s", q)
	}
	for _, want := range []string{"side input", "job failed", "committing offset 7", "starting stage"} {
		if !strings.Contains(verbose.String(), want) {
			t.Errorf("verbose logs lack %q:\n%s", want, verbose.String())
		}
	}
}
