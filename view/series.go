package view

// series keeps at most max buckets of a stream that may be endless. Each
// bucket stands for stride consecutive points, folded into one by merge;
// when the buckets fill up, neighbours are merged pairwise and the stride
// doubles. So memory stays at max buckets whatever the stream's length, the
// buckets span the whole stream in arrival order, and - unlike keeping every
// stride-th point - nothing extreme is lost: merge decides what a bucket
// keeps (the band's envelope, the highest-scoring anomaly). The bucket
// still filling is shown too, so the newest point is always on the chart.
type series[T any] struct {
	max    int
	merge  func(a, b T) T // a came first
	stride int            // points per closed bucket
	pts    []T            // closed buckets
	open   T              // the bucket filling up
	inOpen int            // points folded into open
}

func newSeries[T any](max int, merge func(a, b T) T) *series[T] {
	return &series[T]{max: max, merge: merge, stride: 1}
}

// add offers one point.
func (s *series[T]) add(p T) {
	if s.inOpen == 0 {
		s.open = p
	} else {
		s.open = s.merge(s.open, p)
	}
	if s.inOpen++; s.inOpen < s.stride {
		return
	}
	s.pts = append(s.pts, s.open)
	s.inOpen = 0
	if len(s.pts) < s.max {
		return
	}
	kept := s.pts[:0]
	for i := 0; i+1 < len(s.pts); i += 2 {
		kept = append(kept, s.merge(s.pts[i], s.pts[i+1]))
	}
	if len(s.pts)%2 == 1 {
		// An odd bucket out holds half the new stride: it becomes the
		// open bucket, which keeps every closed bucket the same width.
		s.open, s.inOpen = s.pts[len(s.pts)-1], s.stride
	}
	var zero T
	for i := len(kept); i < len(s.pts); i++ {
		s.pts[i] = zero
	}
	s.pts = kept
	s.stride *= 2
}

// points returns a copy of the buckets, the one filling up last.
func (s *series[T]) points() []T {
	out := make([]T, len(s.pts), len(s.pts)+1)
	copy(out, s.pts)
	if s.inOpen > 0 {
		out = append(out, s.open)
	}
	return out
}

// ring keeps the newest max items.
type ring[T any] struct {
	max   int
	items []T
}

func (r *ring[T]) add(v T) {
	r.items = append(r.items, v)
	if len(r.items) > r.max {
		r.items = append(r.items[:0], r.items[len(r.items)-r.max:]...)
	}
}

// newest returns the items, newest first.
func (r *ring[T]) newest() []T {
	out := make([]T, len(r.items))
	for i, v := range r.items {
		out[len(out)-1-i] = v
	}
	return out
}
