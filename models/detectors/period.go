package detectors

import (
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/dsp/fourier"
)

// periodFFTLen is the length of the zero-padded ring whose transform gives
// the autocorrelation: at least likelihoodRing + likelihoodPeriodMax, so
// that the circular correlation an FFT gives has no wrapped-around terms
// at any lag looked at, and a power of 2 for gonum's radix-2 FFT.
const periodFFTLen = 2048

// periodHalf is the length of the complex FFTs: a real sequence of
// periodFFTLen is transformed as periodHalf complex values (even samples
// real, odd ones imaginary).
const periodHalf = periodFFTLen / 2

// periodMargin is how close, in autocorrelation (a unitless -1..1 scale),
// two values the period's choice compares may be before the choice takes
// their exact sums instead of the FFT's. The FFT's error on a normalised
// autocorrelation of 1024 values is around 1e-14
// (TestLagCorrelationsFFTErrorFarBelowMargin); the margin is five orders
// above that.
const periodMargin = 1e-9

// periodTwiddles[k] is exp(-2*pi*i*k/periodFFTLen), k = 0..periodHalf: the
// factors that split a packed transform into the real sequence's.
var periodTwiddles = func() (w [periodHalf + 1]complex128) {
	for k := range w {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / periodFFTLen)
		w[k] = complex(c, s)
	}
	return w
}()

// lagCorrelations holds the autocorrelation of a centred ring at lags
// 2..likelihoodPeriodMax, normalised by the lag-0 sum of squares and the
// number of products: c[lag] = sum(buf[i]*buf[i-lag]) / (v0 * (N-lag)/N).
// Each starts as the FFT's value (Wiener-Khinchin: the inverse transform of
// the power spectrum, two complex FFTs of 1024 points: ~56 us, against
// ~150 us for the 511 direct sums in the default detectors' profile).
// makeExact computes a lag's sum of products directly, in increasing i,
// which is the value (bit for bit) findPeriod used before it took the FFT.
// choosePeriod asks for the exact value whenever two values it compares
// are within periodMargin, so it makes the very choices the direct sums
// would.
type lagCorrelations struct {
	buf   [likelihoodRing]float64 // the centred ring
	v0    float64
	c     [likelihoodPeriodMax + 1]float64
	exact [likelihoodPeriodMax + 1]bool
}

// init sets lc to the autocorrelation of lc.buf, whose lag-0 sum of
// squares is v0. The ring is real, so one complex FFT of half its padded
// length transforms it (z[n] = x[2n] + i*x[2n+1]); its power spectrum P
// is real and even, so one more inverts it. The packing and unpacking are
// the standard real-FFT identities (E[k], O[k]: the transforms of the even
// and odd samples).
func (lc *lagCorrelations) init(v0 float64) {
	lc.v0 = v0
	buf := &lc.buf
	var z [periodHalf]complex128
	for n := range likelihoodRing / 2 {
		z[n] = complex(buf[2*n], buf[2*n+1])
	}
	fourier.CoefficientsRadix2(z[:])
	// X[k] = E[k] + W^k O[k], E[k] = (Z[k] + conj(Z[K-k]))/2,
	// O[k] = (Z[k] - conj(Z[K-k]))/(2i); P[k] = |X[k]|^2, k = 0..K.
	var p [periodHalf + 1]float64
	for k := range p {
		zk, zr := z[k%periodHalf], cmplx.Conj(z[(periodHalf-k)%periodHalf])
		x := (zk+zr)/2 + periodTwiddles[k]*(zk-zr)/2i
		p[k] = real(x)*real(x) + imag(x)*imag(x)
	}
	// The inverse, packed the same way: E[k] = (P[k] + P[K-k])/2,
	// O[k] = (P[k] - P[K-k]) / (2 W^k); the inverse FFT of E + iO is K
	// times r[2n] + i*r[2n+1].
	for k := range z {
		e := complex((p[k]+p[periodHalf-k])/2, 0)
		o := complex((p[k]-p[periodHalf-k])/2, 0) * cmplx.Conj(periodTwiddles[k])
		z[k] = e + 1i*o
	}
	fourier.SequenceRadix2(z[:])
	for lag := 2; lag <= likelihoodPeriodMax; lag++ {
		v := z[lag/2]
		r := real(v)
		if lag%2 == 1 {
			r = imag(v)
		}
		lc.c[lag] = lc.normalise(r/periodHalf, lag)
	}
}

func (lc *lagCorrelations) normalise(sum float64, lag int) float64 {
	return sum / (lc.v0 * float64(likelihoodRing-lag) / likelihoodRing)
}

// at returns lag's autocorrelation, exact when made so.
func (lc *lagCorrelations) at(lag int) float64 { return lc.c[lag] }

// makeExact replaces lag's FFT value by its direct sum of products.
func (lc *lagCorrelations) makeExact(lag int) {
	if lc.exact[lag] {
		return
	}
	s := 0.0
	for i := lag; i < likelihoodRing; i++ {
		s += lc.buf[i] * lc.buf[i-lag]
	}
	lc.c[lag], lc.exact[lag] = lc.normalise(s, lag), true
}

// greater reports a > b for two lags' autocorrelations, scaled by ka and kb
// (a lag below 2 stands for the constant ka or kb itself); orEqual makes it
// a >= b. Values within periodMargin are compared exactly.
func (lc *lagCorrelations) greater(a int, ka float64, b int, kb float64, orEqual bool) bool {
	va, vb := lc.scaled(a, ka), lc.scaled(b, kb)
	if math.Abs(va-vb) <= periodMargin {
		if a >= 2 {
			lc.makeExact(a)
		}
		if b >= 2 {
			lc.makeExact(b)
		}
		va, vb = lc.scaled(a, ka), lc.scaled(b, kb)
	}
	if orEqual {
		return va >= vb
	}
	return va > vb
}

func (lc *lagCorrelations) scaled(lag int, k float64) float64 {
	if lag < 2 {
		return k
	}
	return k * lc.at(lag)
}

// constant is the lag that stands for a constant in greater.
const constant = -1

// choosePeriod is findPeriod's choice on the ring's autocorrelation: the
// lag of the highest autocorrelation past the first trough (the first lag
// whose value rises above the previous one), when it reaches
// likelihoodPeriodACF; then the shortest lag from there that peaks at
// likelihoodPeriodHarmonic of it or more (a cycle of 50 has peaks at 100
// and 150 too, any of which noise may put on top). 0 when no lag
// qualifies.
func choosePeriod(lc *lagCorrelations) int {
	best, first, rising := constant, 0, false // best: a lag, or constant for likelihoodPeriodACF
	for lag := 2; lag <= likelihoodPeriodMax; lag++ {
		if !rising {
			prev, kp := lag-1, 1.0
			if lag == 2 {
				prev = constant // the autocorrelation at lag 0 is 1
			}
			if lc.greater(lag, 1, prev, kp, false) {
				rising, first = true, lag
			}
		}
		if rising && lag >= likelihoodPeriodMin {
			kb := 1.0
			if best == constant {
				kb = likelihoodPeriodACF
			}
			if lc.greater(lag, 1, best, kb, false) {
				best = lag
			}
		}
	}
	if best == constant {
		return 0
	}
	for lag := max(first, likelihoodPeriodMin); lag <= likelihoodPeriodMax; lag++ {
		if lc.greater(lag, 1, best, likelihoodPeriodHarmonic, true) &&
			(lag == likelihoodPeriodMax || lc.greater(lag, 1, lag+1, 1, true)) {
			return lag
		}
	}
	return 0
}
