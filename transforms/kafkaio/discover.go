package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// readPlan is what discovery needs to turn a topic into partition ranges.
type readPlan struct {
	Topic         string
	Group         string
	Start         StartPosition
	StartMs       int64
	ResetTo       StartPosition
	Bounded       bool
	MaxRecords    int64
	ReadCommitted bool
}

// discoverFn lists the topic's partitions and where to read each, when the
// pipeline starts, on a worker: Impulse in, one partitionRange per partition
// out.
type discoverFn struct {
	Conn connConfig
	Plan readPlan

	admin *kadm.Client
}

func (fn *discoverFn) Setup() error {
	opts, err := fn.Conn.kgoOpts()
	if err != nil {
		return fmt.Errorf("kafkaio.Read: %w", err)
	}
	fn.admin, err = newAdmin(opts)
	if err != nil {
		return fmt.Errorf("kafkaio.Read: %w", err)
	}
	return nil
}

func (fn *discoverFn) ProcessElement(ctx context.Context, _ []byte, emit func(partitionRange)) error {
	ranges, err := discover(ctx, fn.admin, fn.Plan)
	if err != nil {
		return fmt.Errorf("kafkaio.Read: %w", err)
	}
	for _, r := range ranges {
		emit(r)
	}
	return nil
}

func (fn *discoverFn) Teardown() {
	if fn.admin != nil {
		fn.admin.Close()
	}
}

// unknownTopicGrace is how long a missing topic is waited for: a topic
// created just before the read may take a moment to reach every broker's
// metadata.
var unknownTopicGrace = 5 * time.Second

// discover returns the ranges to read, one per partition of p.Topic, in
// partition order.
func discover(ctx context.Context, adm *kadm.Client, p readPlan) ([]partitionRange, error) {
	parts, err := partitions(ctx, adm, p.Topic)
	if err != nil {
		return nil, err
	}
	starts, err := startOffsets(ctx, adm, p, parts)
	if err != nil {
		return nil, err
	}
	var ends map[int32]int64
	if p.Bounded {
		list := adm.ListEndOffsets
		if p.ReadCommitted {
			list = adm.ListCommittedOffsets // the last stable offsets
		}
		if ends, err = listOffsets(ctx, "end offsets", p.Topic, parts, list); err != nil {
			return nil, err
		}
	}
	ranges := make([]partitionRange, 0, len(parts))
	for _, part := range parts {
		r := partitionRange{Topic: p.Topic, Partition: part, Start: starts[part], End: unboundedEnd}
		if p.Bounded {
			r.End = ends[part]
		}
		if p.MaxRecords > 0 && r.Start <= unboundedEnd-p.MaxRecords {
			r.End = min(r.End, r.Start+p.MaxRecords)
		}
		r.End = max(r.End, r.Start)
		ranges = append(ranges, r)
	}
	return ranges, nil
}

// partitions returns the topic's partition numbers, sorted.
func partitions(ctx context.Context, adm *kadm.Client, topic string) ([]int32, error) {
	deadline := time.Now().Add(unknownTopicGrace)
	for {
		var td kadm.TopicDetail
		err := withRetries(ctx, "list partitions", func(ctx context.Context) error {
			tds, err := adm.ListTopics(ctx, topic)
			if err != nil {
				return err
			}
			td = tds[topic]
			if errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
				return nil // not a transient error here: handled below
			}
			if td.Err != nil {
				return td.Err
			}
			for _, pd := range td.Partitions {
				if pd.Err != nil && !errors.Is(pd.Err, kerr.ReplicaNotAvailable) {
					return pd.Err
				}
			}
			return nil
		})
		switch {
		case err != nil:
			return nil, err
		case errors.Is(td.Err, kerr.UnknownTopicOrPartition) || len(td.Partitions) == 0:
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("%q: %w", topic, ErrTopicNotFound)
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(250 * time.Millisecond):
			}
			continue
		}
		parts := td.Partitions.Numbers()
		slices.Sort(parts)
		return parts, nil
	}
}

// startOffsets returns where each partition's read starts.
func startOffsets(ctx context.Context, adm *kadm.Client, p readPlan, parts []int32) (map[int32]int64, error) {
	listAt := func(pos StartPosition) (map[int32]int64, error) {
		switch pos {
		case Latest:
			return listOffsets(ctx, "end offsets", p.Topic, parts, adm.ListEndOffsets)
		case AtTime:
			return listOffsets(ctx, "offsets by time", p.Topic, parts, func(ctx context.Context, topics ...string) (kadm.ListedOffsets, error) {
				return adm.ListOffsetsAfterMilli(ctx, p.StartMs, topics...)
			})
		}
		return listOffsets(ctx, "start offsets", p.Topic, parts, adm.ListStartOffsets)
	}
	if p.Start != Committed {
		return listAt(p.Start)
	}
	committed, err := committedOffsets(ctx, adm, p.Group, p.Topic, parts)
	if err != nil {
		return nil, err
	}
	if len(committed) == len(parts) {
		return committed, nil
	}
	fallback, err := listAt(p.ResetTo)
	if err != nil {
		return nil, err
	}
	for part, off := range committed {
		fallback[part] = off
	}
	return fallback, nil
}

type listFunc func(ctx context.Context, topics ...string) (kadm.ListedOffsets, error)

func listOffsets(ctx context.Context, what, topic string, parts []int32, list listFunc) (map[int32]int64, error) {
	out := make(map[int32]int64, len(parts))
	err := withRetries(ctx, "list "+what, func(ctx context.Context) error {
		lo, err := list(ctx, topic)
		if err != nil {
			return err
		}
		for _, part := range parts {
			o, ok := lo.Lookup(topic, part)
			switch {
			case !ok:
				return fmt.Errorf("partition %d missing from the answer: %w", part, kerr.UnknownTopicOrPartition)
			case o.Err != nil:
				return fmt.Errorf("partition %d: %w", part, o.Err)
			case o.Offset < 0:
				return fmt.Errorf("partition %d: no offset: %w", part, kerr.OffsetNotAvailable)
			}
			out[part] = o.Offset
		}
		return nil
	})
	return out, err
}

// committedOffsets returns the group's committed offsets for the partitions
// that have one.
func committedOffsets(ctx context.Context, adm *kadm.Client, group, topic string, parts []int32) (map[int32]int64, error) {
	out := make(map[int32]int64, len(parts))
	err := withRetries(ctx, "fetch committed offsets of group "+group, func(ctx context.Context) error {
		resps, err := adm.FetchOffsetsForTopics(ctx, group, topic)
		if errors.Is(err, kerr.GroupIDNotFound) {
			return nil // a group never committed to: Kafka says so, kfake errs
		}
		if err != nil {
			return err
		}
		for _, part := range parts {
			o, ok := resps.Lookup(topic, part)
			switch {
			case !ok:
				continue
			case o.Err != nil:
				return fmt.Errorf("partition %d: %w", part, o.Err)
			case o.At >= 0:
				out[part] = o.At
			}
		}
		return nil
	})
	return out, err
}
