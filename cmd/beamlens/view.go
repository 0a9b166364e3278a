package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/beamlens/beamlens/view"
)

func runView(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("view", "--dir=DIR | --anomalies=FILE|kafka://... [--stats=...] [--themes=...] [--alerts=...] [--listen=127.0.0.1:8080]", stderr)
	dir := fs.String("dir", "", "a directory `beamlens demo` wrote: follows its out/anomalies.jsonl, out/window_stats.jsonl, themes/theme_counts.jsonl and themes/theme_alerts.jsonl")
	var src view.Sources
	fs.StringVar(&src.Anomalies, "anomalies", "", "anomalies.jsonl of beamlens anomalies, followed as it grows, or kafka://HOST:PORT/TOPIC (read from its start, no consumer group)")
	fs.StringVar(&src.Stats, "stats", "", "window_stats.jsonl of beamlens anomalies (the baseline band), or a kafka:// topic")
	fs.StringVar(&src.Themes, "themes", "", "theme_counts.jsonl of beamlens themes, or a kafka:// topic")
	fs.StringVar(&src.Alerts, "alerts", "", "theme_alerts.jsonl of beamlens themes, or a kafka:// topic")
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve on; only loopback addresses unless --public")
	public := fs.Bool("public", false, "allow --listen on an address other hosts can reach (the view shows your data to them)")
	every := fs.Duration("poll", time.Second, "how often the files are read for new lines and the page updated")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir != "" {
		def := func(p *string, parts ...string) {
			if *p == "" {
				*p = filepath.Join(append([]string{*dir}, parts...)...)
			}
		}
		def(&src.Anomalies, "out", "anomalies.jsonl")
		def(&src.Stats, "out", "window_stats.jsonl")
		def(&src.Themes, "themes", "theme_counts.jsonl")
		def(&src.Alerts, "themes", "theme_alerts.jsonl")
	}
	if src == (view.Sources{}) {
		return usagef("name what to show: --dir=DIR (from beamlens demo) or --anomalies/--stats/--themes/--alerts files")
	}
	if err := src.Check(); err != nil {
		return usagef("%v", err)
	}
	if *every <= 0 {
		return usagef("--poll must be positive")
	}
	ln, err := view.Listen(*listen, *public)
	if err != nil {
		return usagef("%v", err)
	}
	srv := view.New(src, *every)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// BaseContext ends the open event streams with the view; Shutdown
	// alone would wait for them.
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	served := make(chan error, 1)
	go func() {
		served <- hs.Serve(ln)
		cancel()
	}()
	fmt.Fprintf(stdout, "beamlens view: http://%s/ (read-only; Ctrl-C to stop)\n", ln.Addr())
	// Follow returns when ctx ends, or early when a source fails: a page
	// that silently stopped updating would mislead, so the view stops too.
	followErr := srv.Follow(ctx)
	shut, stop := context.WithTimeout(context.Background(), 2*time.Second)
	defer stop()
	hs.Shutdown(shut)
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return followErr
}
