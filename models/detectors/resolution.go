package detectors

import "math"

// resolution learns the smallest step a series takes, so that a detector's
// scale never shrinks below what the sensor can resolve. A sensor with a
// 0.1 resolution in a stable room reads one value for hours; its spread is
// then zero, and without a floor of this kind one 0.1 step would score in
// the millions (issue #18). The floor is half a step (resolutionSigmas):
// one step alone scores at most 2, below any sensible threshold, while a
// jump of several steps after a flat stretch still stands out.
//
// The step is the smallest non-zero change between consecutive values
// learned. Before the series has changed at all, it is the finest decimal
// place the value carries (21.5: 0.1), which is what a sensor's resolution
// usually is; the first change then refines it (a 0.5 °C sensor reading
// 21.5 then 22.0 has a step of 0.5).
type resolution struct {
	last    float64
	step    float64 // smallest non-zero change seen; 0 before the first
	started bool
}

// resolutionSigmas is how many resolution steps make one sigma of the
// floor: 0.5, so one step is two sigmas.
const resolutionSigmas = 0.5

// floor is the smallest scale (a sigma) a detector may judge the series
// with: half a resolution step, or before anything was learned (and for
// a series whose values carry no decimal structure) the tiny relative
// floor that only keeps scores finite.
func (r *resolution) floor(centre float64) float64 {
	return max(resolutionSigmas*r.current(), scaleFloor(centre))
}

// current is the learned step: the smallest change seen, or before any,
// the decimal resolution of the value repeated so far.
func (r *resolution) current() float64 {
	switch {
	case r.step > 0:
		return r.step
	case r.started:
		return decimalQuantum(r.last)
	}
	return 0
}

func (r *resolution) observe(x float64) {
	if r.started {
		if d := math.Abs(x - r.last); d > 0 && (r.step == 0 || d < r.step) {
			r.step = d
		}
	}
	r.last, r.started = x, true
}

func (r *resolution) reset() { *r = resolution{} }

func (r *resolution) appendState(b []byte) []byte {
	b = appendBool(b, r.started)
	b = appendFloat(b, r.last)
	return appendFloat(b, r.step)
}

func (r *resolution) readState(s *stateReader) {
	r.started = s.bool()
	r.last, r.step = s.float(), s.float()
	if r.step < 0 {
		s.fail("negative resolution step")
	}
}

// decimalQuantum is the finest decimal place x carries: 1 for 21, 0.1 for
// 21.5, 0.01 for 21.37. A value with more than six decimals (a continuous
// quantity, or a resolution no sensor reports) gets 0: no floor beyond
// scaleFloor. So does 0,
// which says nothing about its resolution.
func decimalQuantum(x float64) float64 {
	x = math.Abs(x)
	if x == 0 {
		return 0
	}
	p := 1.0
	for range 7 {
		s := x * p
		if math.Abs(s-math.Round(s)) <= 1e-9*max(1, s) {
			return 1 / p
		}
		p *= 10
	}
	return 0
}
