package kafkaio

import (
	"context"
	"github.com/beamlens/beamlens/internal/pipetest"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func pollAll(t *testing.T, c *partitionConsumer, n int) []*kgo.Record {
	t.Helper()
	var out []*kgo.Record
	deadline := time.Now().Add(10 * time.Second)
	for len(out) < n && time.Now().Before(deadline) {
		recs, err := c.poll(context.Background(), n-len(out), 250*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			c.next = r.Offset + 1
		}
		out = append(out, recs...)
	}
	if len(out) != n {
		t.Fatalf("polled %d records, want %d", len(out), n)
	}
	return out
}

// A consumer keeps its client between calls that continue where the last
// stopped, starts over when a call starts elsewhere, learns the high
// watermark from its fetches, and closes its client once left idle.
func TestPartitionConsumer(t *testing.T) {
	const topic = "consumer"
	_, brokers := newCluster(t, topic, 2)
	produce(t, brokers, topic, 2, 0, 20) // 10 per partition
	base := []kgo.Opt{kgo.SeedBrokers(brokers...)}

	c := newPartitionConsumer(topic, 1, false)
	if err := c.acquire(base, 0); err != nil {
		t.Fatal(err)
	}
	recs := pollAll(t, c, 4)
	if recs[0].Offset != 0 || recs[3].Offset != 3 || recs[0].Partition != 1 {
		t.Errorf("first records: offsets %d..%d of partition %d", recs[0].Offset, recs[3].Offset, recs[0].Partition)
	}
	if hw := c.hw.get(); hw != 10 {
		t.Errorf("high watermark %d, want 10", hw)
	}
	client := c.client
	c.release()
	if err := c.acquire(base, 4); err != nil {
		t.Fatal(err)
	}
	if c.client != client {
		t.Error("resuming where the last call stopped opened a new client")
	}
	if recs := pollAll(t, c, 2); recs[0].Offset != 4 {
		t.Errorf("resumed at offset %d, want 4", recs[0].Offset)
	}
	c.release()
	if err := c.acquire(base, 8); err != nil {
		t.Fatal(err)
	}
	if c.client == client {
		t.Error("starting elsewhere kept the old client")
	}
	if recs := pollAll(t, c, 2); recs[0].Offset != 8 {
		t.Errorf("restarted at offset %d, want 8", recs[0].Offset)
	}

	old := consumerIdleClose
	consumerIdleClose = 50 * time.Millisecond
	defer func() { consumerIdleClose = old }()
	c.release()
	pipetest.WaitFor(t, 5*time.Second, "the idle client to close", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.client == nil
	})
}
