package detectors

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
)

// cadCore is the Contextual Anomaly Detector's memory: which facts (bits of
// the quantised value, and which contexts were active a step before) have
// followed which. It is a Go rendering of the algorithm of Mikhail
// Smirnov's CAD OSE (https://github.com/smirmik/CAD, as shipped in NAB,
// MIT licence), bounded in size.
//
// A context pairs a left semi-context (the facts of the previous step) with
// a right one (the facts of this step). Each step:
//   - the contexts whose left half the previous step matched in full are
//     "selected"; those whose right half this step matches too are active.
//     The share of selected contexts that are active says how expected this
//     step was;
//   - the pairing of the previous step's facts with this step's, and the
//     partial overlaps of selected contexts with this step, are potential
//     new contexts; the share of them that really are new says how novel
//     this step was;
//   - the most confirmed active contexts become facts of the next step
//     ("neurons"), so contexts chain into longer patterns.
//
// raw = (1 - active/selected + new/potential) / 2 lies in [0, 1].
type cadCore struct {
	maxLeft     int // longest left semi-context crossed into a new context
	maxActive   int // active contexts fed forward as facts
	maxContexts int

	left      []cadSemi
	right     []cadSemi
	leftKeys  map[string]int32
	rightKeys map[string]int32
	// factSemis[side][fact] lists the semi-contexts holding fact.
	factSemis [2]map[uint32][]int32
	contexts  []cadContext
	crossed   [2][]int32  // semi-contexts the last crossing touched, in id order
	gen       [2]uint64   // crossing generation, per side
	crossedBy [2][]uint32 // the facts each side was last crossed with
	prevFacts []uint32    // this step's facts, the next step's left half
	newID     int32       // the zero-level context created this step, or 0

	// scratch
	key       []byte
	active    []int32
	potential [][2][]uint32
	uniq      map[uint64]struct{}
	arena     []uint32 // backs this step's potential contexts
	spare     []uint32 // the facts buffer the step before last used
}

type cadSemi struct {
	all    []uint32      // its facts
	gen    uint64        // the crossing hit counts: hit is stale unless gen is its side's
	hit    int           // how many of its facts that crossing held
	rights []cadRightRef // left semi-contexts only: its contexts
}

// hits reports how many of s's facts the last crossing of its side
// held: 0 when it touched none.
func (c *cadCore) hits(side int, s *cadSemi) int {
	if s.gen != c.gen[side] {
		return 0
	}
	return s.hit
}

type cadRightRef struct{ right, context int32 }

type cadContext struct {
	count       uint32 // times confirmed
	zeroLevel   bool   // made from two whole steps, not from an overlap
	left, right int32
}

// neuronFact is the fact "context id was active a step ago"; sensor facts
// are small, so the two never collide.
const neuronFact = 1 << 31

func newCADCore(maxContexts int) *cadCore {
	c := &cadCore{maxLeft: 7, maxActive: 15, maxContexts: maxContexts}
	c.reset()
	return c
}

func (c *cadCore) reset() {
	c.left, c.right = c.left[:0], c.right[:0]
	c.leftKeys, c.rightKeys = map[string]int32{}, map[string]int32{}
	c.factSemis = [2]map[uint32][]int32{{}, {}}
	c.contexts = c.contexts[:0]
	c.crossed = [2][]int32{}
	c.crossedBy = [2][]uint32{}
	c.prevFacts = nil
	c.newID = 0
}

func (c *cadCore) full() bool { return len(c.contexts) >= c.maxContexts }

// step feeds one step's sensor facts (sorted, distinct) and returns the raw
// anomaly score in [0, 1] and its two halves: the share of selected
// contexts that were active, and the share of potential new ones that were
// new.
func (c *cadCore) step(facts []uint32) (raw, expected, novel float64) {
	type pair = [2][]uint32
	var zero pair
	newContext := false
	if len(c.prevFacts) > 0 && len(facts) > 0 {
		zero = pair{c.prevFacts, facts}
		newContext = c.zeroLevel(zero)
	}
	c.cross(1, facts)
	selected := c.activate(newContext)
	// Distinct potential new contexts, the zero-level one included: only
	// their number matters, and only when the zero-level context was new.
	uniq := 0
	if newContext {
		if c.uniq == nil {
			c.uniq = map[uint64]struct{}{}
		}
		clear(c.uniq)
		c.uniq[c.pairHash(zero)] = struct{}{}
		for _, p := range c.potential {
			c.uniq[c.pairHash(p)] = struct{}{}
		}
		uniq = len(c.uniq)
	}
	if selected > 0 {
		expected = float64(len(c.active)) / float64(selected)
	}
	neurons := c.mostConfirmed()
	// prevFacts is still zero's left half and the left crossing's facts
	// until the crossing below; the buffer before it is free.
	next := append(c.spare[:0], facts...)
	for _, id := range neurons {
		next = append(next, neuronFact+uint32(id))
	}
	slices.Sort(next)
	next = slices.Compact(next)
	c.spare, c.prevFacts = c.prevFacts, next
	added := 0
	for _, p := range c.potential {
		if _, isNew := c.context(p, false); isNew {
			added++
		}
	}
	c.cross(0, next)
	if newContext {
		added++
	}
	if newContext && uniq > 0 {
		novel = float64(added) / float64(uniq)
	}
	return (1 - expected + novel) / 2, expected, novel
}

// mostConfirmed returns the maxActive active contexts ranked highest by
// (confirmations, left id, right id), a total order. The reference sorts
// them all by confirmations and then by its halves' hashes; ties, and so
// which of equally confirmed contexts feed forward, may differ.
func (c *cadCore) mostConfirmed() []int32 {
	less := func(a, b int32) bool {
		x, y := &c.contexts[a], &c.contexts[b]
		return cmp.Or(cmp.Compare(x.count, y.count), cmp.Compare(x.left, y.left), cmp.Compare(x.right, y.right)) < 0
	}
	if len(c.active) <= c.maxActive {
		return c.active
	}
	// Keep the best maxActive at the front, the weakest of them tracked.
	top := c.active[:c.maxActive]
	weakest := 0
	for i := range top {
		if less(top[i], top[weakest]) {
			weakest = i
		}
	}
	for _, id := range c.active[c.maxActive:] {
		if less(top[weakest], id) {
			top[weakest] = id
			for i := range top {
				if less(top[i], top[weakest]) {
					weakest = i
				}
			}
		}
	}
	return top
}

// zeroLevel records the pairing of the previous step with this one and
// reports whether it was new.
func (c *cadCore) zeroLevel(p [2][]uint32) bool {
	id, isNew := c.context(p, true)
	if isNew {
		c.newID = id
		return true
	}
	if id >= 0 {
		c.contexts[id].zeroLevel = true
	}
	return false
}

// context finds or creates the context p; it reports whether it was
// created. Once memory is full nothing is created and the id is -1 for an
// unknown context.
func (c *cadCore) context(p [2][]uint32, zeroLevel bool) (int32, bool) {
	l, lNew := c.semi(0, p[0])
	r, rNew := c.semi(1, p[1])
	if l < 0 || r < 0 {
		return -1, false
	}
	if !lNew && !rNew {
		for _, ref := range c.left[l].rights {
			if ref.right == r {
				return ref.context, false
			}
		}
	}
	if c.full() {
		return -1, false
	}
	id := int32(len(c.contexts))
	c.contexts = append(c.contexts, cadContext{zeroLevel: zeroLevel, left: l, right: r})
	c.left[l].rights = append(c.left[l].rights, cadRightRef{r, id})
	return id, true
}

// semi finds or creates the semi-context of side holding facts.
func (c *cadCore) semi(side int, facts []uint32) (int32, bool) {
	keys, semis := c.leftKeys, &c.left
	if side == 1 {
		keys, semis = c.rightKeys, &c.right
	}
	c.key = factsKey(c.key[:0], facts)
	if id, ok := keys[string(c.key)]; ok {
		return id, false
	}
	if c.full() {
		return -1, false
	}
	id := int32(len(*semis))
	keys[string(c.key)] = id
	*semis = append(*semis, cadSemi{all: slices.Clone(facts)})
	for _, f := range facts {
		c.factSemis[side][f] = append(c.factSemis[side][f], id)
	}
	return id, true
}

// cross counts, for every semi-context of side, how many of facts it
// holds.
func (c *cadCore) cross(side int, facts []uint32) {
	semis := c.left
	if side == 1 {
		semis = c.right
	}
	c.gen[side]++
	g := c.gen[side]
	touched := c.crossed[side][:0]
	for _, f := range facts {
		for _, id := range c.factSemis[side][f] {
			s := &semis[id]
			if s.gen != g {
				s.gen, s.hit = g, 0
				touched = append(touched, id)
			}
			s.hit++
		}
	}
	// Creation order, as the reference walks its semi-context list: a scan
	// of them all when more than an eighth were touched, else a sort.
	if len(touched) > len(semis)/8 {
		touched = touched[:0]
		for id := range semis {
			if semis[id].gen == g {
				touched = append(touched, int32(id))
			}
		}
	} else {
		slices.Sort(touched)
	}
	c.crossed[side] = touched
	c.crossedBy[side] = facts
}

// activate walks the contexts of the left semi-contexts the previous step
// crossed: it counts the selected ones, confirms and collects the active
// ones, and collects overlaps as potential new contexts. It returns the
// number selected.
func (c *cadCore) activate(newContext bool) int {
	c.active, c.potential, c.arena = c.active[:0], c.potential[:0], c.arena[:0]
	selected := 0
	for _, lid := range c.crossed[0] {
		l := &c.left[lid]
		lHit := c.hits(0, l)
		whole := len(l.all) == lHit
		for _, ref := range l.rights {
			// The reference's "no new context" sentinel is False, which
			// equals context 0: context 0 is never walked. Kept, so scores
			// match it.
			if ref.context == c.newID {
				continue
			}
			ctx := &c.contexts[ref.context]
			r := &c.right[ref.right]
			rHit := c.hits(1, r)
			crossedRight := rHit > 0
			switch {
			case whole:
				selected++
				if !crossedRight {
					continue
				}
				if len(r.all) == rHit {
					ctx.count++
					c.active = append(c.active, ref.context)
				} else if ctx.zeroLevel && newContext && lHit <= c.maxLeft {
					c.potential = append(c.potential, c.overlap(l, r))
				}
			case ctx.zeroLevel && newContext && crossedRight && lHit <= c.maxLeft:
				c.potential = append(c.potential, c.overlap(l, r))
			}
		}
	}
	c.newID = 0
	return selected
}

// overlap is the potential context of the facts of l and r the last
// crossings found.
func (c *cadCore) overlap(l, r *cadSemi) [2][]uint32 {
	var p [2][]uint32
	p[0], c.arena = intersect(c.arena, l.all, c.crossedBy[0])
	p[1], c.arena = intersect(c.arena, r.all, c.crossedBy[1])
	return p
}

// intersect appends the facts in both sorted lists to arena, in order, and
// returns them and the arena. A slice returned stays valid when a later
// append moves the arena: it keeps the old array.
func intersect(arena, a, b []uint32) (out, grown []uint32) {
	start := len(arena)
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			arena = append(arena, a[i])
			i++
			j++
		}
	}
	return arena[start:len(arena):len(arena)], arena
}

// pairHash identifies a context's facts for counting distinct ones in a
// step: FNV-1a, deterministic, so a restored detector counts alike.
func (c *cadCore) pairHash(p [2][]uint32) uint64 {
	c.key = binary.AppendUvarint(c.key[:0], uint64(len(p[0])))
	c.key = factsKey(c.key, p[0])
	c.key = factsKey(c.key, p[1])
	h := uint64(14695981039346656037)
	for _, b := range c.key {
		h = (h ^ uint64(b)) * 1099511628211
	}
	return h
}

func factsKey(b []byte, facts []uint32) []byte {
	for _, f := range facts {
		b = binary.AppendUvarint(b, uint64(f))
	}
	return b
}

// appendState writes the memory: the semi-contexts' facts, the contexts
// and the previous step's facts. Lookup maps and crossings are rebuilt on
// restore.
func (c *cadCore) appendState(b []byte) []byte {
	for side, semis := range [2][]cadSemi{c.left, c.right} {
		b = appendUvarint(b, uint64(len(semis)))
		for _, s := range semis {
			b = appendFacts(b, s.all)
			if side == 0 {
				b = appendUvarint(b, uint64(len(s.rights)))
				for _, ref := range s.rights {
					b = appendUvarint(b, uint64(ref.right))
					b = appendUvarint(b, uint64(ref.context))
				}
			}
		}
	}
	b = appendUvarint(b, uint64(len(c.contexts)))
	for _, ctx := range c.contexts {
		b = appendUvarint(b, uint64(ctx.count))
		b = appendBool(b, ctx.zeroLevel)
	}
	return appendFacts(b, c.prevFacts)
}

func appendFacts(b []byte, facts []uint32) []byte {
	b = appendUvarint(b, uint64(len(facts)))
	for _, f := range facts {
		b = appendUvarint(b, uint64(f))
	}
	return b
}

func (c *cadCore) readState(r *stateReader) {
	c.reset()
	for side := range 2 {
		n := r.count(c.maxContexts * 2)
		for i := 0; i < n && r.err == nil; i++ {
			facts := readFacts(r)
			id, isNew := c.semi(side, facts)
			if !isNew || int(id) != i {
				r.fail("semi-context %d repeats another", i)
				return
			}
			if side == 1 {
				continue
			}
			refs := r.count(c.maxContexts)
			for range refs {
				c.left[id].rights = append(c.left[id].rights, cadRightRef{int32(r.count(math.MaxInt32)), int32(r.count(math.MaxInt32))})
			}
		}
	}
	n := r.count(c.maxContexts)
	if r.err != nil {
		return
	}
	c.contexts = make([]cadContext, n)
	seen := make([]bool, n)
	for lid, s := range c.left {
		for _, ref := range s.rights {
			if int(ref.right) >= len(c.right) || int(ref.context) >= n || seen[ref.context] {
				r.fail("context reference out of range")
				return
			}
			seen[ref.context] = true
			c.contexts[ref.context].left, c.contexts[ref.context].right = int32(lid), ref.right
		}
	}
	for i := range c.contexts {
		if !seen[i] {
			r.fail("context %d belongs to no semi-context", i)
			return
		}
		c.contexts[i].count = uint32(r.count(math.MaxUint32))
		c.contexts[i].zeroLevel = r.bool()
	}
	c.prevFacts = readFacts(r)
	if r.err == nil {
		c.cross(0, c.prevFacts)
	}
}

// readFacts reads a sorted list of distinct facts.
func readFacts(r *stateReader) []uint32 {
	n := r.count(1 << 16)
	facts := make([]uint32, 0, min(n, len(r.b)))
	for i := 0; i < n && r.err == nil; i++ {
		f := r.count(math.MaxUint32)
		if i > 0 && uint32(f) <= facts[i-1] {
			r.fail("facts out of order")
		}
		facts = append(facts, uint32(f))
	}
	return facts
}
