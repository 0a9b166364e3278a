package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/twmb/franz-go/pkg/kgo"
)

// consumerIdleClose is how long a partition's client survives unused. A
// range that keeps checkpointing comes back within IdleDelay; one that moved
// to another worker, or a pipeline that ended without Teardown, leaves the
// client to be closed by this timer.
var consumerIdleClose = 30 * time.Second

// partitionConsumer reads one partition for one readFn instance. It
// outlives a ProcessElement call, so that resuming a checkpointed range
// continues with the client's connection and prefetched records instead of
// reconnecting and fetching again.
type partitionConsumer struct {
	topic         string
	partition     int32
	readCommitted bool
	// hw is shared with the trackers' end estimators.
	hw *highWatermark

	mu     sync.Mutex
	client *kgo.Client
	// next is the offset the range being read continues at: every offset
	// below it was claimed, or skipped as not in the range.
	next int64
	// pending are records polled but not claimed, because the range was
	// split before them; they are the next call's first records.
	pending []*kgo.Record
	idle    *time.Timer
	// hwAt is when hw was last learned, from a fetch or a listing.
	hwAt time.Time
	// committed is the offset last committed to the group, -1 for none.
	committed int64
	// commitWarned is when a failed commit was last logged.
	commitWarned time.Time
}

func newPartitionConsumer(topic string, partition int32, readCommitted bool) *partitionConsumer {
	return &partitionConsumer{topic: topic, partition: partition, readCommitted: readCommitted,
		hw: newHighWatermark(), committed: -1}
}

// acquire readies the client to read from offset start, reusing the open
// client when it is already there. base are the connection options.
func (c *partitionConsumer) acquire(base []kgo.Opt, start int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle != nil {
		c.idle.Stop()
		c.idle = nil
	}
	if c.client != nil && c.next == start {
		return nil
	}
	c.closeLocked()
	opts := append(base[:len(base):len(base)],
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
			c.topic: {c.partition: kgo.NewOffset().At(start)},
		}),
		// Transaction markers occupy offsets: keeping them lets the
		// tracker claim every offset up to the end of a bounded range.
		kgo.KeepControlRecords(),
	)
	if c.readCommitted {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return err
	}
	c.client, c.next, c.pending = cl, start, nil
	return nil
}

// release hands the client back after a ProcessElement call; it is closed
// if no call takes it up within consumerIdleClose.
func (c *partitionConsumer) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(consumerIdleClose, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.idle == t { // not re-acquired in the meantime
			c.closeLocked()
		}
	})
	c.idle = t
}

func (c *partitionConsumer) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked()
}

func (c *partitionConsumer) closeLocked() {
	if c.idle != nil {
		c.idle.Stop()
		c.idle = nil
	}
	if c.client != nil {
		c.client.Close()
		c.client = nil
	}
	c.pending = nil
}

// poll returns up to max records at or after c.next, waiting at most wait
// for some to arrive; none means the partition is quiet. Errors kgo retries
// by itself never reach here; what does (authorisation, a corrupt batch)
// fails the bundle.
func (c *partitionConsumer) poll(ctx context.Context, max int, wait time.Duration) ([]*kgo.Record, error) {
	if len(c.pending) > 0 {
		n := min(max, len(c.pending))
		recs := c.pending[:n]
		c.pending = c.pending[n:]
		return recs, nil
	}
	pctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	fetches := c.client.PollRecords(pctx, max)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var fetchErr error
	fetches.EachError(func(topic string, partition int32, err error) {
		var loss *kgo.ErrDataLoss
		switch {
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		case errors.As(err, &loss):
			// Retention deleted records before we read them, or the log
			// was truncated; kgo resumed where it could.
			log.Warnf(ctx, "kafkaio.Read: %s/%d: %v", topic, partition, err)
		case fetchErr == nil:
			fetchErr = fmt.Errorf("kafkaio.Read: fetch %s/%d: %w", topic, partition, err)
		}
	})
	if fetchErr != nil {
		return nil, fetchErr
	}
	var recs []*kgo.Record
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if p.Topic != c.topic || p.Partition != c.partition {
			return
		}
		// The end a consumer can read to: the high watermark, or for
		// read_committed the last stable offset.
		end := p.HighWatermark
		if c.readCommitted {
			end = p.LastStableOffset
		}
		if end >= 0 {
			c.hw.raise(end)
			c.hwAt = time.Now()
		}
		for _, r := range p.Records {
			// Below next only after kgo reset to the log start (the
			// range starts past the log end): those belong to no range
			// of ours.
			if r.Offset >= c.next {
				recs = append(recs, r)
			}
		}
	})
	return recs, nil
}
