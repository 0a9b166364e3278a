package devicebatch

import "github.com/apache/beam/sdks/v2/go/pkg/beam"

// Batcher holds a bundle's elements by device, at most max in all. Use it
// from one DoFn instance: Reset in StartBundle, Add in ProcessElement
// (flushing when it says so), Flush in FinishBundle.
type Batcher[T any] struct {
	max int
	buf map[string][]T
	at  map[string]int64 // the earliest event time of each device's batch
	n   int
}

// New returns a batcher that asks to be flushed once it holds max
// elements, so that a huge bundle cannot grow its memory without bound.
func New[T any](max int) *Batcher[T] {
	return &Batcher[T]{max: max, buf: map[string][]T{}, at: map[string]int64{}}
}

// Reset empties the batcher.
func (b *Batcher[T]) Reset() {
	clear(b.buf)
	clear(b.at)
	b.n = 0
}

// Add adds x, of event time ms (Unix milliseconds), to device's batch and
// reports whether the batcher is full: flush it then.
func (b *Batcher[T]) Add(device string, ms int64, x T) (full bool) {
	if at, ok := b.at[device]; !ok || ms < at {
		b.at[device] = ms
	}
	b.buf[device] = append(b.buf[device], x)
	b.n++
	return b.n >= b.max
}

// Flush emits each device's batch, encoded, stamped with the earliest event
// time among its elements (FinishBundle would otherwise emit it in the
// global window at time 0), and empties the batcher.
func (b *Batcher[T]) Flush(encode func([]T) []byte, emit func(beam.EventTime, string, []byte)) {
	for device, xs := range b.buf {
		emit(beam.EventTime(b.at[device]), device, encode(xs))
	}
	b.Reset()
}
