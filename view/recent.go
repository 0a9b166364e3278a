package view

import (
	"container/heap"
	"sort"
)

// newestByTime keeps the max anomalies with the latest event times, from
// every device. Arrival order will not do: a pipeline writes its
// anomalies file device by device, so the last lines read are all of one
// device, whatever happened last on the others.
type newestByTime struct {
	max int
	h   anomalyHeap // a min-heap: the oldest kept is at the root
	seq int64       // arrival count, to order equal times
}

func (n *newestByTime) add(p anomalyPoint) {
	n.seq++
	e := recentEntry{p, n.seq}
	if len(n.h) < n.max {
		heap.Push(&n.h, e)
		return
	}
	if e.before(n.h[0]) {
		return // older than everything kept
	}
	n.h[0] = e
	heap.Fix(&n.h, 0)
}

// newest returns the kept anomalies, latest event time first (on equal
// times, the later arrival first).
func (n *newestByTime) newest() []anomalyPoint {
	es := append([]recentEntry(nil), n.h...)
	sort.Slice(es, func(i, j int) bool { return es[j].before(es[i]) })
	out := make([]anomalyPoint, len(es))
	for i, e := range es {
		out[i] = e.p
	}
	return out
}

type recentEntry struct {
	p   anomalyPoint
	seq int64
}

func (a recentEntry) before(b recentEntry) bool {
	if a.p.T != b.p.T {
		return a.p.T < b.p.T
	}
	return a.seq < b.seq
}

type anomalyHeap []recentEntry

func (h anomalyHeap) Len() int           { return len(h) }
func (h anomalyHeap) Less(i, j int) bool { return h[i].before(h[j]) }
func (h anomalyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *anomalyHeap) Push(x any)        { *h = append(*h, x.(recentEntry)) }
func (h *anomalyHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
