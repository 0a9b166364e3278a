package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// await polls topic's end offsets until they sum to at least count records and
// prints the seconds since it started: the time a job took to write its output,
// to a resolution of the poll (20 ms) rather than of the job's 5 s progress line.
// A topic that does not exist yet counts as empty.
func await(ctx context.Context, cl *kgo.Client, topic string, count int64) error {
	adm := kadm.NewClient(cl)
	start := time.Now()
	var have int64
	for {
		offsets, err := adm.ListEndOffsets(ctx, topic)
		if err == nil {
			have = 0
			offsets.Each(func(o kadm.ListedOffset) {
				if o.Err == nil {
					have += o.Offset
				}
			})
			if have >= count {
				fmt.Printf("%.3f\n", time.Since(start).Seconds())
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s holds %d records, not %d: %w", topic, have, count, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
