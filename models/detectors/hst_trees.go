package detectors

import (
	"encoding/binary"
	"math"
)

// hsForest is the fixed structure of a Half-Space Trees ensemble and the
// reference mass profile (Tan, Ting and Liu, "Fast anomaly detection for
// streaming data", IJCAI 2011). Each tree is complete, stored as an implicit
// binary heap (children of node i are 2i+1 and 2i+2), so the structure
// costs no pointers and a mass profile is one flat slice.
//
// The structure is a pure function of the seed, dimension and depth and is
// rebuilt, never stored: only masses are state.
type hsForest struct {
	trees, depth    int
	nodes, internal int   // per tree
	cuts            []cut // trees×internal: how each inner node splits
	// ref holds the reference window's masses, trees×nodes. uint16 halves
	// what Reset and a restore clear; TreeWindow is capped to fit.
	ref []uint16
	// log2Mass[r] is log2(r + hstSmoothing), a table so that scoring a
	// point takes no logarithms.
	log2Mass []float64
}

func newHSForest(seed uint64, d, trees, depth, window int) hsForest {
	f := hsForest{trees: trees, depth: depth, nodes: 1<<(depth+1) - 1, internal: 1<<depth - 1}
	f.cuts = make([]cut, trees*f.internal)
	f.ref = make([]uint16, trees*f.nodes)
	f.log2Mass = make([]float64, window+1)
	for r := range f.log2Mass {
		f.log2Mass[r] = math.Log2(float64(r) + hstSmoothing)
	}
	rng := splitMix{state: seed}
	lo, hi := make([]float64, d), make([]float64, d)
	for t := range trees {
		// The paper's work space: a random point in the unit cube, widened
		// to twice the larger distance to the cube's faces on each side, so
		// every tree is offset differently but covers the cube.
		for q := range d {
			s := rng.float()
			r := 2 * max(s, 1-s)
			lo[q], hi[q] = s-r, s+r
		}
		f.build(&rng, t*f.internal, 0, 0, lo, hi)
	}
	return f
}

// build splits node i at depth k at the middle of a random dimension's
// range, then recurses: left halves the range from above, right from below.
func (f *hsForest) build(rng *splitMix, base, i, k int, lo, hi []float64) {
	if k == f.depth {
		return
	}
	q := rng.intn(len(lo))
	p := (lo[q] + hi[q]) / 2
	f.cuts[base+i] = cut{at: p, dim: q}
	saved := hi[q]
	hi[q] = p
	f.build(rng, base, 2*i+1, k+1, lo, hi)
	hi[q] = saved
	saved = lo[q]
	lo[q] = p
	f.build(rng, base, 2*i+2, k+1, lo, hi)
	lo[q] = saved
}

// cut is one inner node's split, dimension and position together so that a
// step down a tree touches one cache line.
type cut struct {
	at  float64
	dim int
}

// child returns the child of node i of tree t that u falls in. The side is
// a coin flip to the branch predictor, so it is computed, not branched on.
func (f *hsForest) child(t, i int, u []float64) int {
	c := f.cuts[t*f.internal+i]
	next := 2*i + 1
	if u[c.dim] >= c.at {
		next++
	}
	return next
}

// hstSmoothing is the mass, a tenth of a point, added to every node a
// point is scored at, so that an empty node still scores by its size: a
// point far from the data stops in a big empty node near the root, one just
// past its edge in a small one deep down. Measured on Gaussian noise, a
// tenth keeps false alarms near 5 in 10,000 while putting points beyond
// 5 sigma above the default threshold.
const hstSmoothing = 0.1

// logMass averages, over the trees, log2 of the reference mass of the node
// where u's path first finds no reference point (or of its leaf) times
// 2^depth: mass over volume, a log-density estimate. The paper stops at a
// mass limit instead, which cannot tell a far outlier from a point in the
// data's thin tail, and sums masses, so that one tree whose long thin cell
// happens to join the point to a cluster outvotes all the others; the mean
// of logs is the geometric mean, which it cannot.
//
// own is 1 when u is itself counted in the reference and should not be:
// how the reference would judge the point were it new.
func (f *hsForest) logMass(u []float64, own uint16) float64 {
	var s float64
	for t := range f.trees {
		base := t * f.nodes
		i := 0
		for k := 0; ; k++ {
			r := f.ref[base+i] - own
			if k == f.depth || r == 0 {
				s += f.log2Mass[r] + float64(k)
				break
			}
			i = f.child(t, i, u)
		}
	}
	return s / float64(f.trees)
}

// add adds delta (1, or -1 as ^uint16(0)) to the reference mass along u's
// path in every tree.
func (f *hsForest) add(u []float64, delta uint16) {
	for t := range f.trees {
		base := t * f.nodes
		i := 0
		for k := 0; ; k++ {
			f.ref[base+i] += delta
			if k == f.depth {
				break
			}
			i = f.child(t, i, u)
		}
	}
}

func (f *hsForest) reset() { clear(f.ref) }

// appendState writes the leaf masses sparsely, (gap, mass) for each leaf
// holding points: every point counts along its whole path, so an inner
// node's mass is the sum of its children's and need not be stored. The
// count goes in a fixed four bytes, patched after, so the leaves are
// walked once.
func (f *hsForest) appendState(b []byte) []byte {
	at := len(b)
	b = append(b, 0, 0, 0, 0)
	k, prev := 0, -1
	leaves := f.nodes - f.internal
	for t := range f.trees {
		for l, m := range f.ref[t*f.nodes+f.internal : (t+1)*f.nodes] {
			if m != 0 {
				i := t*leaves + l
				b = appendUvarint(b, uint64(i-prev-1))
				b = appendUvarint(b, uint64(m))
				k, prev = k+1, i
			}
		}
	}
	binary.LittleEndian.PutUint32(b[at:], uint32(k))
	return b
}

// readState reads the leaf masses and sums them up the trees. A tree
// holding more than window points cannot come from appendState, and its
// masses would overrun the log2Mass table, so it is refused.
func (f *hsForest) readState(r *stateReader, window int) {
	leaves := f.nodes - f.internal
	for t := range f.trees {
		clear(f.ref[t*f.nodes+f.internal : (t+1)*f.nodes]) // inner nodes are summed below
	}
	k := r.fixed32()
	if k > f.trees*leaves {
		r.fail("%d leaf masses for %d leaves", k, f.trees*leaves)
		return
	}
	t, l := 0, -1 // tree and leaf, advanced by gaps without dividing
	for range k {
		l += 1 + r.count(f.trees*leaves)
		m := r.count(window)
		for l >= leaves {
			l -= leaves
			t++
		}
		if r.err != nil {
			return
		}
		if t >= f.trees {
			r.fail("leaf beyond tree %d", f.trees)
			return
		}
		f.ref[t*f.nodes+f.internal+l] = uint16(m)
	}
	for t := range f.trees {
		tree := f.ref[t*f.nodes : (t+1)*f.nodes]
		for j := f.internal - 1; j >= 0; j-- {
			m := int(tree[2*j+1]) + int(tree[2*j+2])
			if m > window {
				r.fail("tree %d holds more than the window's %d points", t, window)
				f.reset()
				return
			}
			tree[j] = uint16(m)
		}
	}
}

// splitMix is SplitMix64 (Steele, Lea and Flood, 2014), written out rather
// than taken from math/rand so that the trees, which saved masses refer to,
// depend on nothing but this code: any build restores any build's state.
type splitMix struct{ state uint64 }

func (r *splitMix) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func (r *splitMix) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// intn's modulo bias is below 2^-50 for the dimensions used here.
func (r *splitMix) intn(n int) int { return int(r.next() % uint64(n)) }
