package kafkaio

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// produceAt writes one record per timestamp to partition 0 of topic.
func produceAt(t *testing.T, brokers []string, topic string, times ...time.Time) {
	t.Helper()
	cl := newClient(t, brokers, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var recs []*kgo.Record
	for _, ts := range times {
		recs = append(recs, &kgo.Record{Topic: topic, Timestamp: ts, Value: []byte("{}")})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func TestDiscoverStartPositions(t *testing.T) {
	const topic, group = "positions", "g"
	_, brokers := newCluster(t, topic, 2)
	base := time.UnixMilli(1_700_000_000_000)
	var times []time.Time
	for i := range 10 {
		times = append(times, base.Add(time.Duration(i)*time.Second))
	}
	produceAt(t, brokers, topic, times...) // partition 0: offsets 0-9; partition 1: empty
	adm := kadm.NewClient(newClient(t, brokers))
	ctx := context.Background()
	// Retention took partition 0's first two records.
	if _, err := adm.DeleteRecords(ctx, kadm.Offsets{topic: {0: {Topic: topic, Partition: 0, At: 2, LeaderEpoch: -1}}}); err != nil {
		t.Fatal(err)
	}
	var commit kadm.Offsets
	commit.Add(kadm.Offset{Topic: topic, Partition: 0, At: 7, LeaderEpoch: -1})
	if err := adm.CommitAllOffsets(ctx, group, commit); err != nil {
		t.Fatal(err)
	}

	inf := int64(unboundedEnd)
	for _, c := range []struct {
		name string
		plan readPlan
		want [2][2]int64 // [partition][start, end]
	}{
		{"earliest", readPlan{Start: Earliest}, [2][2]int64{{2, inf}, {0, inf}}},
		{"latest", readPlan{Start: Latest}, [2][2]int64{{10, inf}, {0, inf}}},
		{"at time", readPlan{Start: AtTime, StartMs: base.Add(4500 * time.Millisecond).UnixMilli()}, [2][2]int64{{5, inf}, {0, inf}}},
		{"at a future time", readPlan{Start: AtTime, StartMs: base.Add(time.Hour).UnixMilli()}, [2][2]int64{{10, inf}, {0, inf}}},
		{"committed, else earliest", readPlan{Start: Committed, Group: group}, [2][2]int64{{7, inf}, {0, inf}}},
		{"committed, else latest", readPlan{Start: Committed, Group: group, ResetTo: Latest}, [2][2]int64{{7, inf}, {0, inf}}},
		{"committed, else at time", readPlan{Start: Committed, Group: "new", ResetTo: AtTime, StartMs: base.Add(4500 * time.Millisecond).UnixMilli()}, [2][2]int64{{5, inf}, {0, inf}}},
		{"committed, no group commits", readPlan{Start: Committed, Group: "new"}, [2][2]int64{{2, inf}, {0, inf}}},
		{"bounded", readPlan{Start: Earliest, Bounded: true}, [2][2]int64{{2, 10}, {0, 0}}},
		{"bounded read committed", readPlan{Start: Earliest, Bounded: true, ReadCommitted: true}, [2][2]int64{{2, 10}, {0, 0}}},
		{"max records", readPlan{Start: Earliest, MaxRecords: 3}, [2][2]int64{{2, 5}, {0, 3}}},
		{"bounded and max records", readPlan{Start: Committed, Group: group, Bounded: true, MaxRecords: 5}, [2][2]int64{{7, 10}, {0, 0}}},
	} {
		c.plan.Topic = topic
		got, err := discover(ctx, adm, c.plan)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(got) != 2 {
			t.Errorf("%s: %d ranges, want 2", c.name, len(got))
			continue
		}
		for p, r := range got {
			w := partitionRange{Topic: topic, Partition: int32(p), Start: c.want[p][0], End: c.want[p][1]}
			if r != w {
				t.Errorf("%s: partition %d: got %v, want %v", c.name, p, r, w)
			}
		}
	}
}
