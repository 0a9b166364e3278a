package view

// series keeps at most max points of a stream that may be endless, evenly
// thinned: while it has room it keeps every stride-th point offered; when
// full it drops every other point and doubles the stride. The points kept
// are spread over the whole stream, ordered as they came, and memory stays
// at max points whatever the stream's length.
type series[T any] struct {
	max     int
	stride  int
	skipped int
	pts     []T
}

func newSeries[T any](max int) *series[T] { return &series[T]{max: max, stride: 1} }

// add offers one point.
func (s *series[T]) add(p T) {
	if s.skipped++; s.skipped < s.stride {
		return
	}
	s.skipped = 0
	s.pts = append(s.pts, p)
	if len(s.pts) >= s.max {
		kept := s.pts[:0]
		for i := 0; i < len(s.pts); i += 2 {
			kept = append(kept, s.pts[i])
		}
		clear(s.pts[len(kept):])
		s.pts = kept
		s.stride *= 2
	}
}

// points returns a copy of the points kept.
func (s *series[T]) points() []T { return append([]T{}, s.pts...) }

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
