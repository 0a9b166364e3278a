package detectors

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/beamlens/beamlens/models/events"
)

// PCA is principal component analysis for process monitoring, the classic
// of multivariate statistical process control (MacGregor and Kourti,
// "Statistical process control of multivariate processes", Control
// Engineering Practice 3(3), 1995; Jackson and Mudholkar, "Control
// procedures for residuals associated with principal component analysis",
// Technometrics 21(3), 1979). The metrics' exponentially weighted mean and
// covariance (spanning Window readings) are decomposed into principal
// components; the leading ones, which explain pcaExplained (90%) of the
// variance, are the process's normal directions of movement. Each reading
// gets two statistics:
//
//   - Hotelling's T²: its distance within those directions, each in units
//     of its own variance, χ² with k degrees of freedom: an unusual
//     amount of normal movement.
//   - Q, the squared prediction error (SPE): its squared distance from the
//     plane they span, approximated as g·χ²(h) (Box, 1954; g and h from the
//     residual eigenvalues): a relation between metrics that broke, such
//     as two metrics that always move together moving apart while each
//     stays within its own range.
//
// Each statistic becomes a z-like score through the Wilson-Hilferty
// approximation, as mahalanobis's distance does, and the score is the
// larger. The decomposition (Jacobi rotations, d³ work) is refreshed every
// pcaRefresh readings, not every reading, so the cost per reading is a few
// dot products. Every variance is floored at the metric's resolution (see
// resolution) and a ridge, so constant or collinear metrics stay finite.
//
// A reading missing a metric (NaN) is skipped whole, as for every vector
// detector. Verdict.Metric names the metrics that contributed at least a
// tenth of the larger statistic, largest first, comma-separated.
//
// Baseline: t2 and q of the reading, the components kept, and each
// metric's mean ("temperature.mean").
type PCA struct {
	gate
	metrics []string
	d       int
	span    float64
	mean    []float64
	cov     []float64 // d×d, row-major, symmetric
	// The model of the last refresh: eigenvalues descending, eigenvectors
	// as the columns of vecs, k components kept, Box's g and h for Q.
	vals, vecs []float64
	k          int
	g, h       float64
	since      int // readings since the last refresh
	names      []string
	fp         uint64
	// scratch, not state
	x, dev, t, res, work, contrib []float64
	lastT2, lastQ                 float64
	lastWhich                     int // 0: T² scored, 1: Q scored
}

const (
	// pcaExplained is the share of variance the kept components explain.
	pcaExplained = 0.9
	// pcaRefresh is how many readings share one decomposition.
	pcaRefresh = 16
)

// NewPCA returns a PCA detector over the named metrics (at least two), in
// the order UpdateVector receives them; it panics on an invalid Config or
// metric list.
func NewPCA(metrics []string, cfg Config) *PCA {
	mustCheckMetrics("NewPCA", metrics)
	if len(metrics) < 2 {
		panic("detectors.NewPCA: PCA needs at least two metrics")
	}
	return newPCA(cfg.mustResolve("NewPCA"), slices.Clone(metrics))
}

func newPCA(s settings, metrics []string) *PCA {
	d := max(1, len(metrics))
	p := &PCA{gate: newGate(s, d), metrics: metrics, d: d, span: s.spanWeight(),
		x: make([]float64, d), mean: make([]float64, d), cov: make([]float64, d*d), vals: make([]float64, d), vecs: make([]float64, d*d),
		dev: make([]float64, d), t: make([]float64, d), res: make([]float64, d), work: make([]float64, d*d),
		contrib: make([]float64, d)}
	f := p.shapeFingerprint(newFingerprint(kindPCA).int(s.window).int(d))
	for _, m := range metrics {
		f.str(m)
	}
	p.fp = f.sum()
	p.names = baselineNames(metrics, "mean")
	return p
}

// Name implements Detector and VectorDetector.
func (p *PCA) Name() string { return "pca" }

// Metrics implements VectorDetector.
func (p *PCA) Metrics() []string { return p.metrics }

// Update implements Detector for a PCA built over one metric (as New
// builds it): with one metric there is no residual, so it scores T², an
// exponentially weighted z-score. It panics on one built for several.
func (p *PCA) Update(v float64) Verdict {
	if p.d != 1 {
		panic(fmt.Sprintf("detectors.PCA.Update: detector has %d metrics; use UpdateVector", p.d))
	}
	return step(p, v)
}

func (p *PCA) peek(x float64) Verdict {
	p.x[0] = x
	return p.peekVector(p.x)
}

func (p *PCA) learn(x float64, v Verdict) {
	p.x[0] = x
	p.learnVector(p.x, v)
}

// UpdateVector implements VectorDetector.
func (p *PCA) UpdateVector(values []float64) Verdict {
	if len(values) != p.d {
		panic(fmt.Sprintf("detectors.PCA.UpdateVector: %d values for %d metrics", len(values), p.d))
	}
	return stepVector(p, values, p.x)
}

func (p *PCA) peekVector(x []float64) Verdict {
	d := p.d
	if p.n <= uint64(d) || p.vals[0] == 0 {
		return p.judge(0, false)
	}
	for i := range d {
		p.dev[i] = x[i] - p.mean[i]
	}
	copy(p.res, p.dev)
	var t2 float64
	for j := range p.k {
		var tj float64
		for i := range d {
			tj += p.vecs[i*d+j] * p.dev[i]
		}
		p.t[j] = tj
		t2 += tj * tj / p.vals[j]
		for i := range d {
			p.res[i] -= tj * p.vecs[i*d+j]
		}
	}
	var q float64
	for _, r := range p.res {
		q += r * r
	}
	p.lastT2, p.lastQ = t2, q
	zT := chiSquaredZ(t2, p.k)
	zQ := math.Inf(-1)
	if p.k < d {
		zQ = chiSquaredZf(q/p.g, p.h)
	}
	p.lastWhich = 0
	score := zT
	if zQ > zT {
		p.lastWhich, score = 1, zQ
	}
	return p.judge(max(0, score), true)
}

// chiSquaredZf is chiSquaredZ for a real number of degrees of freedom
// (Box's h).
func chiSquaredZf(x, k float64) float64 {
	v := 2 / (9 * k)
	return (math.Cbrt(x/k) - (1 - v)) / math.Sqrt(v)
}

// blame names the metrics contributing at least a tenth of the scored
// statistic: for Q each metric's squared residual, for T² each metric's
// term of Σ_j t_j P_ij dev_i / λ_j.
func (p *PCA) blame() string {
	if len(p.metrics) < 2 {
		return ""
	}
	d := p.d
	var total float64
	for i := range d {
		var c float64
		if p.lastWhich == 1 {
			c = p.res[i] * p.res[i]
		} else {
			for j := range p.k {
				c += p.t[j] / p.vals[j] * p.vecs[i*d+j] * p.dev[i]
			}
			c = max(0, c)
		}
		p.contrib[i] = c
		total += c
	}
	order := make([]int, d)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case p.contrib[a] > p.contrib[b]:
			return -1
		case p.contrib[a] < p.contrib[b]:
			return 1
		}
		return 0
	})
	var names []string
	for _, i := range order {
		if len(names) > 0 && !(p.contrib[i] >= total/10) {
			break
		}
		names = append(names, p.metrics[i])
	}
	return strings.Join(names, ",")
}

func (p *PCA) appendBaseline(dst []events.Metric, pre string, _ Verdict) []events.Metric {
	dst = append(dst, metric(pre, "t2", p.lastT2), metric(pre, "q", p.lastQ), metric(pre, "components", float64(p.k)))
	for i := range p.d {
		dst = append(dst, metric(pre, p.names[i], p.mean[i]))
	}
	return dst
}

// learnVector updates mean and covariance as mahalanobis does (residuals
// clipped at clipSigma for a reading judged after warm-up), and refreshes
// the decomposition every pcaRefresh readings.
func (p *PCA) learnVector(x []float64, v Verdict) {
	d := p.d
	w := max(1/float64(p.n+1), p.span)
	shrink := 1.0
	if !v.Warming && v.Score > clipSigma {
		shrink = clipSigma / v.Score
	}
	learnMoments(p.mean, p.cov, p.dev, x, w, shrink)
	p.learnedVector(x, v)
	if p.since++; p.since >= pcaRefresh || p.n == uint64(d+1) {
		p.refresh()
	}
}

// refresh decomposes the covariance, floored on the diagonal, and keeps
// the leading components explaining pcaExplained of the variance, at most
// d-1 so a residual remains.
func (p *PCA) refresh() {
	d := p.d
	p.since = 0
	copy(p.work, p.cov)
	var trace float64
	for i := range d {
		trace += p.cov[i*d+i]
	}
	for i := range d {
		f := p.floor(i, p.mean[i])
		p.work[i*d+i] += 1e-9*trace + f*f
	}
	jacobiEigen(p.work, p.vecs, p.vals, d)
	var sum, acc float64
	for _, l := range p.vals {
		sum += l
	}
	p.k = 1
	for j := range d {
		acc += p.vals[j]
		p.k = j + 1
		if acc >= pcaExplained*sum {
			break
		}
	}
	if d > 1 {
		p.k = min(p.k, d-1)
	}
	var t1, t2 float64
	for _, l := range p.vals[p.k:] {
		t1 += l
		t2 += l * l
	}
	p.g, p.h = 1, 1
	if t1 > 0 && t2 > 0 {
		p.g, p.h = t2/t1, t1*t1/t2
	}
}

// jacobiEigen diagonalises the symmetric d×d matrix a (destroyed) by
// cyclic Jacobi rotations: eigenvalues into vals, descending, and the
// matching unit eigenvectors into the columns of vecs.
func jacobiEigen(a, vecs, vals []float64, d int) {
	clear(vecs)
	for i := range d {
		vecs[i*d+i] = 1
	}
	// Converged when the off-diagonal mass is negligible against the
	// diagonal's, not against 1: a covariance of series in small units
	// (1e-24 for picoamperes in amperes) would otherwise count as diagonal
	// before the first rotation.
	var diag float64
	for i := range d {
		diag += a[i*d+i] * a[i*d+i]
	}
	for sweep := 0; sweep < 50; sweep++ {
		var off float64
		for i := range d {
			for j := i + 1; j < d; j++ {
				off += a[i*d+j] * a[i*d+j]
			}
		}
		if off <= 1e-30*diag {
			break
		}
		for pp := 0; pp < d; pp++ {
			for q := pp + 1; q < d; q++ {
				apq := a[pp*d+q]
				if apq == 0 {
					continue
				}
				theta := (a[q*d+q] - a[pp*d+pp]) / (2 * apq)
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range d {
					akp, akq := a[k*d+pp], a[k*d+q]
					a[k*d+pp], a[k*d+q] = c*akp-s*akq, s*akp+c*akq
				}
				for k := range d {
					apk, aqk := a[pp*d+k], a[q*d+k]
					a[pp*d+k], a[q*d+k] = c*apk-s*aqk, s*apk+c*aqk
				}
				for k := range d {
					vkp, vkq := vecs[k*d+pp], vecs[k*d+q]
					vecs[k*d+pp], vecs[k*d+q] = c*vkp-s*vkq, s*vkp+c*vkq
				}
			}
		}
	}
	for i := range d {
		vals[i] = max(a[i*d+i], 0)
	}
	// Sort descending, moving eigenvector columns along (selection sort:
	// d is small).
	for i := range d {
		best := i
		for j := i + 1; j < d; j++ {
			if vals[j] > vals[best] {
				best = j
			}
		}
		if best != i {
			vals[i], vals[best] = vals[best], vals[i]
			for k := range d {
				vecs[k*d+i], vecs[k*d+best] = vecs[k*d+best], vecs[k*d+i]
			}
		}
	}
}

// Reset implements Detector and VectorDetector.
func (p *PCA) Reset() {
	p.gate.reset()
	clear(p.mean)
	clear(p.cov)
	clear(p.vals)
	clear(p.vecs)
	p.k, p.g, p.h, p.since = 0, 0, 0, 0
}

func (p *PCA) appendBody(b []byte) []byte {
	b = p.gate.appendState(b)
	for _, s := range [][]float64{p.mean, p.cov, p.vals, p.vecs} {
		for _, v := range s {
			b = appendFloat(b, v)
		}
	}
	b = appendFloat(appendFloat(b, p.g), p.h)
	b = appendUvarint(b, uint64(p.k))
	return appendUvarint(b, uint64(p.since))
}

func (p *PCA) readBody(r *stateReader) {
	p.gate.readState(r)
	for _, s := range [][]float64{p.mean, p.cov, p.vals, p.vecs} {
		for i := range s {
			s[i] = r.float()
		}
	}
	p.g, p.h = r.float(), r.float()
	p.k = r.count(p.d)
	p.since = r.count(pcaRefresh)
}

// AppendBinary implements encoding.BinaryAppender.
func (p *PCA) AppendBinary(b []byte) ([]byte, error) { return marshal(b, p, kindPCA, p.fp), nil }

// MarshalBinary implements encoding.BinaryMarshaler.
func (p *PCA) MarshalBinary() ([]byte, error) { return p.AppendBinary(nil) }

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (p *PCA) UnmarshalBinary(data []byte) error { return restore(data, p, kindPCA, p.fp) }
