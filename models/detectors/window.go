package detectors

import (
	"math"
	"slices"
)

// ring keeps the last len(buf) values in arrival order: the bounded memory
// behind every rolling detector.
type ring struct {
	buf  []float64
	head int // index of the oldest value
	n    int
}

func newRing(capacity int) ring { return ring{buf: make([]float64, capacity)} }

// push appends x, returning the value it pushed out once the ring is full.
func (r *ring) push(x float64) (old float64, evicted bool) {
	if r.n < len(r.buf) {
		r.buf[r.index(r.n)] = x
		r.n++
		return 0, false
	}
	old = r.buf[r.head]
	r.buf[r.head] = x
	if r.head++; r.head == len(r.buf) {
		r.head = 0
	}
	return old, true
}

// index maps the i-th oldest value to its slot without a division.
func (r *ring) index(i int) int {
	j := r.head + i
	if j >= len(r.buf) {
		j -= len(r.buf)
	}
	return j
}

func (r *ring) at(i int) float64 { return r.buf[r.index(i)] }

func (r *ring) reset() { r.head, r.n = 0, 0 }

// appendState writes the values oldest first, so the slot layout, which
// does not affect any verdict, is not part of the state.
func (r *ring) appendState(b []byte) []byte {
	b = appendUvarint(b, uint64(r.n))
	for i := 0; i < r.n; i++ {
		b = appendFloat(b, r.at(i))
	}
	return b
}

func (r *ring) readState(s *stateReader) {
	r.head, r.n = 0, s.count(len(r.buf))
	for i := 0; i < r.n; i++ {
		r.buf[i] = s.float()
	}
}

// sortedWindow is a ring that also keeps its values sorted, for exact
// rolling medians and quantiles. An insertion costs a binary search and a
// memmove of at most the window: for windows of hundreds of points that is
// tens of nanoseconds, simpler and faster than indexed heaps. Quantile
// sketches (DDSketch, t-digest) cannot forget the point leaving a window,
// so they do not fit here.
type sortedWindow struct {
	ring
	sorted []float64 // the ring's values, ascending
}

func newSortedWindow(capacity int) sortedWindow {
	return sortedWindow{ring: newRing(capacity), sorted: make([]float64, 0, capacity)}
}

// push adds x and forgets the oldest value once full. When a value leaves
// as another enters, only the stretch between their positions moves.
func (w *sortedWindow) push(x float64) {
	old, evicted := w.ring.push(x)
	s := w.sorted
	j, _ := slices.BinarySearch(s, x)
	if !evicted {
		s = s[:len(s)+1]
		copy(s[j+1:], s[j:])
		s[j] = x
		w.sorted = s
		return
	}
	i, _ := slices.BinarySearch(s, old)
	if j <= i {
		copy(s[j+1:i+1], s[j:i])
		s[j] = x
	} else {
		copy(s[i:j-1], s[i+1:j])
		s[j-1] = x
	}
}

func (w *sortedWindow) reset() {
	w.ring.reset()
	w.sorted = w.sorted[:0]
}

func (w *sortedWindow) readState(s *stateReader) {
	w.ring.readState(s)
	w.sorted = append(w.sorted[:0], w.buf[:w.n]...)
	slices.Sort(w.sorted)
}

// quantile interpolates linearly between order statistics (Hyndman and
// Fan's type 7, the default of R and NumPy). The window must not be empty.
func (w *sortedWindow) quantile(q float64) float64 {
	s := w.sorted
	h := q * float64(len(s)-1)
	lo := int(h)
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

func (w *sortedWindow) median() float64 { return w.quantile(0.5) }

// mad returns the median absolute deviation from m (the window's median).
// The distances to m form two sorted runs, growing leftwards from m and
// rightwards from it, so their median is an order statistic of two sorted
// arrays: a binary search, O(log n), where a merge would walk half the
// window.
func (w *sortedWindow) mad(m float64) float64 {
	n := len(w.sorted)
	if n%2 == 1 {
		return w.distanceRank(m, n/2)
	}
	return (w.distanceRank(m, n/2-1) + w.distanceRank(m, n/2)) / 2
}

// distanceRank returns the k-th smallest (from 0) of |x - m| over the
// window. Left distances are a[i] = m - s[r-1-i], right ones
// b[j] = s[r+j] - m, both ascending; it finds how many of the k+1 smallest
// come from the left.
func (w *sortedWindow) distanceRank(m float64, k int) float64 {
	s := w.sorted
	r, _ := slices.BinarySearch(s, m)
	nA, nB := r, len(s)-r
	a := func(i int) float64 { return m - s[r-1-i] }
	b := func(j int) float64 { return s[r+j] - m }
	t := k + 1
	lo, hi := max(0, t-nB), min(t, nA)
	for {
		i := (lo + hi) / 2
		j := t - i
		switch {
		case i < hi && j > 0 && b(j-1) > a(i):
			lo = i + 1 // the right run gives too many
		case i > lo && j < nB && a(i-1) > b(j):
			hi = i - 1 // the left run gives too many
		default:
			switch {
			case i == 0:
				return b(j - 1)
			case j == 0:
				return a(i - 1)
			}
			return max(a(i-1), b(j-1))
		}
	}
}

// meanAbsDev is the mean absolute deviation from m: the fallback scale
// when more than half the window sits on one value and the MAD is zero.
func (w *sortedWindow) meanAbsDev(m float64) float64 {
	var sum float64
	for _, v := range w.sorted {
		sum += math.Abs(v - m)
	}
	return sum / float64(len(w.sorted))
}

// Constants that turn robust spreads into standard deviations of normal
// data, so robust scores read like z-scores.
const (
	madToSigma    = 1.482602218505602 // 1 / Φ⁻¹(3/4)
	meanADToSigma = 1.2533141373155   // √(π/2)
	iqrToSigma    = 1 / 1.3489795003921634
	quartileZ     = 0.6744897501960817 // Φ⁻¹(3/4)
)

// robustScale estimates sigma from the window's spread about m: the MAD,
// then the mean absolute deviation (Iglewicz and Hoaglin's fallback for
// data sitting mostly on one value), never below floor (the series'
// resolution) nor scaleFloor.
func (w *sortedWindow) robustScale(m, floor float64) float64 {
	if s := madToSigma * w.mad(m); s > 0 {
		return max(s, floor, scaleFloor(m))
	}
	return max(meanADToSigma*w.meanAbsDev(m), floor, scaleFloor(m))
}

// scaleFloor keeps scores finite on a series that has not varied yet: a
// constant sensor that moves at all is news, but Inf is not a score. It
// is relative to the series' own level, so a quantity measured in small
// units (picoamperes in amperes, a pressure in bar near vacuum) is judged
// by its spread as any other; minFloorLevel stands in for a level of 0.
func scaleFloor(centre float64) float64 { return 1e-9 * max(math.Abs(centre), minFloorLevel) }

// minFloorLevel is the level scaleFloor assumes for a series centred on 0:
// below any physical sensor's unit in SI (1e-30; an attoampere is 1e-18),
// and large enough that a deviation of 1e100 (the most a detector learns)
// scores ~1e139, whose square is still finite.
const minFloorLevel = 1e-30
