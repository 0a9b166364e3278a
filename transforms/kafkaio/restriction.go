package kafkaio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"
)

// unboundedEnd is the End of a partition range that grows forever.
const unboundedEnd = math.MaxInt64

// partitionRange is both the element and the restriction of the read: the
// offsets [Start, End) of one topic-partition. As the element it is what
// discovery decided (the initial restriction); as the restriction it is the
// part still to read, and it shrinks from the front at every checkpoint.
// End is unboundedEnd for a read that never ends.
//
// It names its partition so that a tracker, which the SDK creates from the
// restriction alone, can find that partition's cached high watermark.
type partitionRange struct {
	Topic      string
	Partition  int32
	Start, End int64
}

func (r partitionRange) String() string {
	end := "inf"
	if r.End != unboundedEnd {
		end = fmt.Sprint(r.End)
	}
	return fmt.Sprintf("%s/%d[%d,%s)", r.Topic, r.Partition, r.Start, end)
}

func (r partitionRange) bounded() bool { return r.End != unboundedEnd }

// size is the number of offsets left, or for an unbounded range the backlog
// up to the high watermark hw (-1 when unknown), at least 1 so that an idle
// partition still weighs something when the runner balances work.
func (r partitionRange) size(hw int64) float64 {
	if r.bounded() {
		return float64(max(r.End-r.Start, 0))
	}
	return float64(max(hw-r.Start, 1))
}

// encodeRange and decodeRange are the coder of partitionRange: it is encoded
// at every checkpoint, so it is kept small and cheap.
func encodeRange(r partitionRange) ([]byte, error) {
	b := make([]byte, 0, len(r.Topic)+4*binary.MaxVarintLen64)
	b = binary.AppendUvarint(b, uint64(len(r.Topic)))
	b = append(b, r.Topic...)
	b = binary.AppendVarint(b, int64(r.Partition))
	b = binary.AppendVarint(b, r.Start)
	b = binary.AppendVarint(b, r.End)
	return b, nil
}

var errBadRange = errors.New("kafkaio: corrupt partition range encoding")

func decodeRange(b []byte) (partitionRange, error) {
	var r partitionRange
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return r, errBadRange
	}
	r.Topic, b = string(b[k:k+int(n)]), b[k+int(n):]
	var vals [3]int64
	for i := range vals {
		v, k := binary.Varint(b)
		if k <= 0 {
			return r, errBadRange
		}
		vals[i], b = v, b[k:]
	}
	if len(b) != 0 || vals[0] < math.MinInt32 || vals[0] > math.MaxInt32 {
		return r, errBadRange
	}
	r.Partition, r.Start, r.End = int32(vals[0]), vals[1], vals[2]
	return r, nil
}

// highWatermark is a partition's last known high watermark, shared by the
// partition's consumer (which updates it from every fetch) and the end
// estimators of its trackers (which only read it): estimating the end of a
// growing range must not cost a network call, since the runner asks for it
// whenever it wants progress or a split.
type highWatermark struct{ v atomic.Int64 }

func newHighWatermark() *highWatermark {
	h := &highWatermark{}
	h.v.Store(-1)
	return h
}

// Estimate implements offsetrange.RangeEndEstimator.
func (h *highWatermark) Estimate() int64 { return h.v.Load() }

func (h *highWatermark) get() int64 { return h.v.Load() }

// raise records a newer high watermark; an older one (from a fetch that
// raced a newer one) is ignored.
func (h *highWatermark) raise(hw int64) {
	for {
		cur := h.v.Load()
		if hw <= cur || h.v.CompareAndSwap(cur, hw) {
			return
		}
	}
}

// rangeTracker tracks a partitionRange. It is offsetrange's growable tracker
// (plain offset-range semantics once End is finite) with the partition's
// identity carried through checkpoints, the only splits it makes.
type rangeTracker struct {
	topic     string
	partition int32
	inner     *offsetrange.GrowableTracker
	// stopped marks a range ended before its end by a drain: done, and
	// not to be split or resumed.
	stopped bool
}

// stop ends the range where it is (a drain).
func (t *rangeTracker) stop() { t.stopped = true }

func newRangeTracker(r partitionRange, hw *highWatermark) *rangeTracker {
	inner, err := offsetrange.NewGrowableTracker(offsetrange.Restriction{Start: r.Start, End: r.End}, hw)
	if err != nil {
		panic(err) // only for a nil estimator
	}
	return &rangeTracker{topic: r.Topic, partition: r.Partition, inner: inner}
}

func (t *rangeTracker) wrap(r offsetrange.Restriction) partitionRange {
	return partitionRange{Topic: t.topic, Partition: t.partition, Start: r.Start, End: r.End}
}

// TryClaim claims the offset pos (an int64). Offsets need not be
// contiguous: Kafka's have gaps where transactions or compaction left them.
func (t *rangeTracker) TryClaim(pos any) bool { return t.inner.TryClaim(pos) }

func (t *rangeTracker) GetError() error { return t.inner.GetError() }

// TrySplit checkpoints at fraction 0 and refuses any other split: a
// partition is read in order, by one client. A runner's split (prism
// splits a bundle that made no progress between two progress reports)
// would read the two halves at once: the residual's watermark would run
// ahead of the records the primary had still to read, which windows then
// drop as late, and the primary, ending after the residual had committed
// further, would take the group's offset back.
func (t *rangeTracker) TrySplit(fraction float64) (primary, residual any, err error) {
	if t.stopped || fraction != 0 {
		return t.GetRestriction(), nil, nil
	}
	p, r, err := t.inner.TrySplit(fraction)
	if err != nil {
		return nil, nil, err
	}
	if p != nil {
		primary = t.wrap(p.(offsetrange.Restriction))
	}
	if r != nil {
		residual = t.wrap(r.(offsetrange.Restriction))
	}
	return primary, residual, nil
}

func (t *rangeTracker) GetProgress() (done, remaining float64) { return t.inner.GetProgress() }

func (t *rangeTracker) IsDone() bool { return t.stopped || t.inner.IsDone() }

func (t *rangeTracker) GetRestriction() any {
	return t.wrap(t.inner.GetRestriction().(offsetrange.Restriction))
}

func (t *rangeTracker) IsBounded() bool { return t.inner.IsBounded() }
