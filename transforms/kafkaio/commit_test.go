package kafkaio

import (
	"context"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/models/events"
)

// TestSplitOffRangeCommitsNothing: when the runner splits a partition's
// range, the primary ends where the residual (the new head) began. Run
// here in the order that made TestReadRestartsFromCommittedOffsets flaky
// under load, the head first: the primary, finishing last, must not take
// the group's offset back to its end.
func TestSplitOffRangeCommitsNothing(t *testing.T) {
	const topic, group = "split", "beamlens-split"
	_, brokers := newCluster(t, topic, 1)
	produce(t, brokers, topic, 1, 0, 10)

	fn := &readFn{Conn: connConfig{Brokers: brokers}, Topic: topic, Group: group,
		BatchRecords: 100, BatchMs: 10_000, IdleMs: 100, Backfill: true}
	if err := fn.Setup(); err != nil {
		t.Fatal(err)
	}
	defer fn.Teardown()
	elem := partitionRange{Topic: topic, Partition: 0, Start: 0, End: 10}
	read := func(rest partitionRange) int {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		n := 0
		rt := fn.CreateTracker(rest)
		we := fn.CreateWatermarkEstimator(0)
		if _, err := fn.ProcessElement(ctx, we, rt, elem, func(beam.EventTime, events.Raw) { n++ }); err != nil {
			t.Fatalf("reading %v: %v", rest, err)
		}
		if !rt.IsDone() {
			t.Fatalf("%v not read to its end", rest)
		}
		return n
	}
	head, primary := partitionRange{Topic: topic, Start: 4, End: 10}, partitionRange{Topic: topic, Start: 0, End: 4}
	if n := read(head); n != 6 {
		t.Fatalf("the head gave %d records, want 6", n)
	}
	if c := committedOffsetsOf(t, brokers, group, topic); c[0] != 10 {
		t.Fatalf("after the head the group's offset is %v, want 10", c)
	}
	if n := read(primary); n != 4 {
		t.Fatalf("the split-off range gave %d records, want 4", n)
	}
	if c := committedOffsetsOf(t, brokers, group, topic); c[0] != 10 {
		t.Errorf("after the split-off range the group's offset is %v, want 10 still", c)
	}
}
