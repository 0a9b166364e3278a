package runners

import (
	"context"
	"io"
	"log/slog"
	"strings"
)

// QuietLogs routes Beam's and the runners' logs (all go through slog) to
// w. Verbose keeps everything from INFO up. Otherwise only warnings and
// errors pass, less two kinds a user cannot act on:
//
//   - Beam's construction-time warning that a side input is globally
//     windowed and unbounded: beamlens's streaming side inputs are so by
//     design (they refresh in the global window), and the warning repeats
//     on every Kafka or Pub/Sub run;
//   - prism's own echo of a failed bundle (the failing bundle's descriptor,
//     dozens of lines): the same failure comes back from Run as an error,
//     which the command reports in one line.
//
// Call it before the pipeline is built: the side-input warning is logged
// while it is.
func QuietLogs(w io.Writer, verbose bool) {
	if verbose {
		slog.SetDefault(slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})))
		return
	}
	slog.SetDefault(slog.New(quietHandler{slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})}))
}

// quietHandler drops the records QuietLogs describes.
type quietHandler struct{ slog.Handler }

// prismFailureEchoes are the messages with which prism logs a bundle or
// job failure that Run also returns.
var prismFailureEchoes = []string{
	"Prism received bundle error from worker response",
	"stage.Execute aborting due to bundle error",
	"Bundle Failed.",
	"job failed",
}

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if muted(r.Message) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func muted(msg string) bool {
	if strings.HasPrefix(msg, "side input ") && strings.Contains(msg, "is global windowed") && strings.Contains(msg, "unbounded") {
		return true
	}
	if strings.HasPrefix(msg, "[SDK] ProcessBundle failed") {
		return true
	}
	for _, m := range prismFailureEchoes {
		if msg == m {
			return true
		}
	}
	return false
}

func (h quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(as)}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name)}
}
