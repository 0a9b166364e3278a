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
	crossed   [2][]int32 // semi-contexts the last crossing touched
	prevFacts []uint32   // this step's facts, the next step's left half
	newID     int32      // the zero-level context created this step, or 0

	// scratch
	key       []byte
	active    []int32
	potential [][2][]uint32
}

type cadSemi struct {
	all    []uint32      // its facts
	facts  []uint32      // the facts of the last crossing found in it
	rights []cadRightRef // left semi-contexts only: its contexts
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
	// Distinct potential new contexts, the zero-level one included.
	uniq := map[string]struct{}{}
	if zero[0] != nil {
		uniq[string(c.pairKey(zero))] = struct{}{}
	}
	for _, p := range c.potential {
		uniq[string(c.pairKey(p))] = struct{}{}
	}
	if selected > 0 {
		expected = float64(len(c.active)) / float64(selected)
	}
	// The most confirmed active contexts feed the next step.
	slices.SortStableFunc(c.active, func(a, b int32) int {
		x, y := c.contexts[a], c.contexts[b]
		return cmp.Or(cmp.Compare(x.count, y.count), cmp.Compare(x.left, y.left), cmp.Compare(x.right, y.right))
	})
	neurons := c.active[max(0, len(c.active)-c.maxActive):]
	next := make([]uint32, 0, len(facts)+len(neurons))
	next = append(next, facts...)
	for _, id := range neurons {
		next = append(next, neuronFact+uint32(id))
	}
	slices.Sort(next)
	next = slices.Compact(next)
	c.prevFacts = next
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
	if newContext && len(uniq) > 0 {
		novel = float64(added) / float64(len(uniq))
	}
	return (1 - expected + novel) / 2, expected, novel
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

// cross finds, for every semi-context of side, which of facts it holds.
func (c *cadCore) cross(side int, facts []uint32) {
	semis := c.left
	if side == 1 {
		semis = c.right
	}
	for _, id := range c.crossed[side] {
		semis[id].facts = semis[id].facts[:0]
	}
	touched := c.crossed[side][:0]
	for _, f := range facts {
		for _, id := range c.factSemis[side][f] {
			if len(semis[id].facts) == 0 {
				touched = append(touched, id)
			}
			semis[id].facts = append(semis[id].facts, f)
		}
	}
	// Creation order, as the reference iterates its semi-context list.
	slices.Sort(touched)
	c.crossed[side] = touched
}

// activate walks the contexts of the left semi-contexts the previous step
// crossed: it counts the selected ones, confirms and collects the active
// ones, and collects overlaps as potential new contexts. It returns the
// number selected.
func (c *cadCore) activate(newContext bool) int {
	c.active, c.potential = c.active[:0], c.potential[:0]
	selected := 0
	for _, lid := range c.crossed[0] {
		l := &c.left[lid]
		whole := len(l.all) == len(l.facts)
		for _, ref := range l.rights {
			// The reference's "no new context" sentinel is False, which
			// equals context 0: context 0 is never walked. Kept, so scores
			// match it.
			if ref.context == c.newID {
				continue
			}
			ctx := &c.contexts[ref.context]
			r := &c.right[ref.right]
			crossedRight := len(r.facts) > 0
			switch {
			case whole:
				selected++
				if !crossedRight {
					continue
				}
				if len(r.all) == len(r.facts) {
					ctx.count++
					c.active = append(c.active, ref.context)
				} else if ctx.zeroLevel && newContext && len(l.facts) <= c.maxLeft {
					c.potential = append(c.potential, [2][]uint32{slices.Clone(l.facts), slices.Clone(r.facts)})
				}
			case ctx.zeroLevel && newContext && crossedRight && len(l.facts) <= c.maxLeft:
				c.potential = append(c.potential, [2][]uint32{slices.Clone(l.facts), slices.Clone(r.facts)})
			}
		}
	}
	c.newID = 0
	return selected
}

func (c *cadCore) pairKey(p [2][]uint32) []byte {
	c.key = binary.AppendUvarint(c.key[:0], uint64(len(p[0])))
	c.key = factsKey(c.key, p[0])
	return factsKey(c.key, p[1])
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
