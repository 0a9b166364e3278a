package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// pace produces live readings at a steady rate, each stamped with the wall
// clock, one in a hundred above the article's threshold.
func pace(ctx context.Context, cl *kgo.Client, topic string, rate int, d time.Duration) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	perTick := float64(rate) / 100
	start := time.Now()
	var sent, owed float64
	var perr error
	for time.Since(start) < d {
		<-tick.C
		owed += perTick
		for ; sent < math.Floor(owed); sent++ {
			n := int(sent)
			temp := 60 + float64(n%20)
			if n%100 == 0 {
				temp = 120
			}
			now := time.Now().UTC()
			v := fmt.Sprintf(`{"device_id":"dev-%d","timestamp":"%s","temperature":%g,"reading_id":"p-%d"}`,
				n%50, now.Format(time.RFC3339Nano), temp, n)
			cl.Produce(ctx, &kgo.Record{Topic: topic, Value: []byte(v)}, func(_ *kgo.Record, err error) {
				if err != nil && perr == nil {
					perr = err
				}
			})
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(os.Stderr, "topictool: paced %d readings in %s (%.0f/s)\n", int(sent), el.Round(time.Millisecond), sent/el.Seconds())
	return perr
}

// latency reports how long after its reading each anomaly reached the
// topic: the anomaly record's timestamp (set when beamlens produced it)
// minus the reading's own timestamp (set when it was produced).
func latency(ctx context.Context, cl *kgo.Client, topic string) error {
	var ms []float64
	err := dump(ctx, cl, topic, func(r *kgo.Record) {
		var a struct {
			Timestamp string `json:"timestamp"`
		}
		if json.Unmarshal(r.Value, &a) != nil {
			return
		}
		t, err := time.Parse(time.RFC3339Nano, a.Timestamp)
		if err != nil {
			return
		}
		ms = append(ms, float64(r.Timestamp.Sub(t).Microseconds())/1000)
	})
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		return fmt.Errorf("no anomalies on %s", topic)
	}
	sort.Float64s(ms)
	q := func(p float64) string { return strconv.FormatFloat(ms[int(p*float64(len(ms)-1))], 'f', 0, 64) }
	fmt.Printf("anomalies=%d p50_ms=%s p99_ms=%s max_ms=%s\n", len(ms), q(0.5), q(0.99), q(1))
	return nil
}
