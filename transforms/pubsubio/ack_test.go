package pubsubio

import (
	"context"
	"github.com/beamlens/beamlens/internal/brokertest"
	"github.com/beamlens/beamlens/internal/pipetest"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
)

// settle holds a batch until AckDelay has passed, extending its deadline
// when it comes near, then acknowledges it.
func TestSettleHoldsForAckDelay(t *testing.T) {
	f := brokertest.NewPubSub(t)
	f.TopicWithSubscription(t, "readings", "readings-sub")
	ids := f.PublishReadings(t, "readings", 0, 3)
	ctx := context.Background()
	fn := &readFn{Project: project, Subscription: "readings-sub", AckDelayMs: time.Minute.Milliseconds()}
	if err := fn.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	defer fn.Teardown()
	msgs, err := fn.pull(ctx, 10, time.Second)
	if err != nil || len(msgs) != 3 {
		t.Fatalf("pulled %d messages, err %v", len(msgs), err)
	}
	now := time.Now()
	b := heldBatch{EmittedMs: now.UnixMilli(), DeadlineMs: now.Add(minAckDeadline).UnixMilli()}
	for _, m := range msgs {
		b.AckIDs = append(b.AckIDs, m.AckId)
	}

	held := fn.settle(ctx, []heldBatch{b}, now)
	if len(held) != 1 {
		t.Fatalf("the batch was acknowledged before AckDelay: %v", held)
	}
	if held[0].DeadlineMs != now.Add(ackExtension).UnixMilli() {
		t.Errorf("a batch %v from its deadline was not extended: %v", minAckDeadline, held[0])
	}
	for _, id := range ids {
		m := f.Message(id)
		if m.Acks != 0 || len(m.Modacks) != 1 || m.Modacks[0].AckDeadline != int32(ackExtension/time.Second) {
			t.Errorf("message %s: %d acks, modacks %v; want 0 and one extension", id, m.Acks, m.Modacks)
		}
	}
	if due := fn.nextDue(held, now); due != ackExtension-renewMargin {
		t.Errorf("next due in %v, want %v (the renewal comes before the ack)", due, ackExtension-renewMargin)
	}
	if held := fn.settle(ctx, held, now.Add(time.Minute)); len(held) != 0 {
		t.Errorf("still held after AckDelay: %v", held)
	}
	if !f.AllAckedOnce(ids) {
		t.Error("not acknowledged after AckDelay")
	}
}

// A bounded read with AckDelay ends only once it has acknowledged
// everything, no sooner than AckDelay after the last pull.
func TestReadAckDelay(t *testing.T) {
	f := brokertest.NewPubSub(t)
	f.TopicWithSubscription(t, "readings", "readings-sub")
	ids := f.PublishReadings(t, "readings", 0, 100)

	p, s := beam.NewPipelineWithRoot()
	raws := Read(s, ReadOptions{Project: project, Subscription: "readings-sub", MaxMessages: 100, AckDelay: 1500 * time.Millisecond})
	passert.Equals(s, beam.ParDo(s, pipetest.DescribeRaw, raws), describeAll(f, "readings-sub", ids)...)
	start := time.Now()
	ptest.RunAndValidate(t, p)
	if el := time.Since(start); el < 1500*time.Millisecond {
		t.Errorf("the read ended after %v, before AckDelay", el)
	}
	checkAckedOnce(t, f, ids)
}
