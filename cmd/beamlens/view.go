package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/beamlens/beamlens/transforms/endpoint"
	"github.com/beamlens/beamlens/transforms/kafkaio"
	"github.com/beamlens/beamlens/view"
)

func runView(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("view", "--dir=DIR | --anomalies=FILE|kafka://... [--stats=...] [--themes=...] [--alerts=...] [--listen=127.0.0.1:8080]", stderr)
	dir := fs.String("dir", "", "a directory DIR that beamlens demo wrote (follows its out/anomalies.jsonl, out/window_stats.jsonl, themes/theme_counts.jsonl and themes/theme_alerts.jsonl), or an --output directory of beamlens anomalies or themes")
	var src view.Sources
	fs.StringVar(&src.Anomalies, "anomalies", "", "anomalies.jsonl of beamlens anomalies, followed as it grows; kafka://HOST:PORT/TOPIC (read from its start, no consumer group; --kafka-sasl/--kafka-tls as for the pipelines); or pubsub://projects/P/topics/T (through a subscription of the view's own, deleted on exit) or pubsub://projects/P/subscriptions/S")
	fs.StringVar(&src.Stats, "stats", "", "window_stats.jsonl of beamlens anomalies (the baseline band), or a kafka:// or pubsub:// source")
	fs.StringVar(&src.Themes, "themes", "", "theme_counts.jsonl of beamlens themes, or a kafka:// or pubsub:// source")
	fs.StringVar(&src.Alerts, "alerts", "", "theme_alerts.jsonl of beamlens themes, or a kafka:// or pubsub:// source")
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve on; only loopback addresses unless --public")
	public := fs.Bool("public", false, "allow --listen on an address other hosts can reach (the view shows your data to them)")
	every := fs.Duration("poll", time.Second, "how often the files are read for new lines and the page updated")
	var kafkaSec kafkaSecurityFlags
	kafkaSec.bind(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir != "" {
		if err := viewDir(*dir, &src, stderr); err != nil {
			return err
		}
	}
	if src.Anomalies == "" && src.Stats == "" && src.Themes == "" && src.Alerts == "" {
		return usagef("name what to show: --dir=DIR (from beamlens demo, or an --output directory) or --anomalies/--stats/--themes/--alerts")
	}
	if err := src.Check(); err != nil {
		return usagef("%v", err)
	}
	var ks endpoint.KafkaSettings
	if err := kafkaSec.apply(&ks); err != nil {
		return err
	}
	src.Kafka = kafkaio.Connect{SASL: ks.SASL, TLS: ks.TLS}
	if *every <= 0 {
		return usagef("--poll must be positive")
	}
	ln, err := view.Listen(*listen, *public)
	if errors.Is(err, view.ErrNotLoopback) {
		return usagef("--listen %v: the view would show your data to the network; add --public if you mean it", err)
	}
	if err != nil {
		return usagef("--listen %v", err)
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
