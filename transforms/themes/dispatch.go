package themes

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/models/llm"
)

// dispatcher is the process's one sender for an extractor configuration.
// Every bundle of every extractFn instance in the process hands its
// reviews to it, and one goroutine cuts them into batches across bundles
// and starts them, at most concurrency at a time. A runner that works on
// several bundles at once (prism does, on every 10 ms tick of a stream)
// then sends full batches where each bundle would have sent its own
// partial one at its end, and the requests of all bundles keep the one
// pace of the extractor's limiter instead of arriving in bursts of a
// bundle's batches.
//
// A full batch is cut as soon as a slot is free, so that it is waiting in
// the extractor's limiter when the interval ends. A partial batch is cut
// only when a bundle waits for one of its reviews (in FinishBundle, or
// held back for having too many reviews out), or the dispatcher closes;
// and, with an llm.Paced extractor, only just before its next request may
// start, so reviews that arrive meanwhile still join it. The sender
// wakes for that on its own timer, not on a bundle's next call.
type dispatcher struct {
	extractor   llm.Extractor
	batchSize   int
	concurrency int
	paced       llm.Paced // nil: the extractor does not space its requests

	mu      sync.Mutex
	queue   []queued // reviews handed over and not yet cut into a batch
	waiting int      // tickets blocked on their results
	closed  bool
	wake    chan struct{} // one pending wake-up for the sender
	slots   chan struct{}
	exited  chan struct{} // closed when the sender has drained and returned
	refs    int           // extractFn instances using it (dispatchers)
}

// queued is one review handed over by a bundle.
type queued struct {
	t *ticket
	r events.Review
}

// cutLead is how long before a paced extractor's next request may start
// a partial batch is cut: the time to hand it to the extractor.
const cutLead = 5 * time.Millisecond

func newDispatcher(e llm.Extractor, batchSize, concurrency int) *dispatcher {
	d := &dispatcher{
		extractor:   e,
		batchSize:   batchSize,
		concurrency: concurrency,
		wake:        make(chan struct{}, 1),
		slots:       make(chan struct{}, concurrency),
		exited:      make(chan struct{}),
	}
	d.paced, _ = e.(llm.Paced)
	go d.run()
	return d
}

// ticket is one bundle's account with a dispatcher: the results of its
// reviews come back on it, whichever batches they travelled in. Its fields
// are guarded by the dispatcher's mu.
type ticket struct {
	d           *dispatcher
	outstanding int           // reviews handed over whose results have not come back
	done        []batchResult // results not yet taken by the bundle
	ready       chan struct{} // one pending signal that done grew
	waits       bool          // the bundle is blocked on its results
	cancelled   bool          // the bundle gave up: its queued reviews are not sent
}

// open returns a ticket for a new bundle.
func (d *dispatcher) open() *ticket {
	return &ticket{d: d, ready: make(chan struct{}, 1)}
}

// submit hands r to the dispatcher.
func (t *ticket) submit(r events.Review) {
	d := t.d
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		panic("themes.Extract: review submitted to a closed dispatcher")
	}
	d.queue = append(d.queue, queued{t: t, r: r})
	t.outstanding++
	d.mu.Unlock()
	d.signal()
}

// pending returns how many of t's reviews have not come back.
func (t *ticket) pending() int {
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	return t.outstanding
}

// take returns the results that came back since the last take, without
// waiting.
func (t *ticket) take() []batchResult {
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	done := t.done
	t.done = nil
	return done
}

// wait blocks until some of t's results are back, or none is outstanding,
// or ctx ends (then t is cancelled and the error returned), and returns
// the results back so far. While it waits, t's queued reviews may go out
// in a partial batch.
func (t *ticket) wait(ctx context.Context) ([]batchResult, error) {
	d := t.d
	d.mu.Lock()
	for len(t.done) == 0 && t.outstanding > 0 {
		t.waits = true
		d.waiting++
		d.mu.Unlock()
		d.signal()
		var err error
		select {
		case <-t.ready:
		case <-ctx.Done():
			err = context.Cause(ctx)
		}
		d.mu.Lock()
		t.waits = false
		d.waiting--
		if err != nil {
			t.cancelled = true
			d.mu.Unlock()
			return nil, err
		}
	}
	done := t.done
	t.done = nil
	d.mu.Unlock()
	return done, nil
}

// cancel gives up on t's reviews still queued: they are not sent, and
// results of those in flight are dropped.
func (t *ticket) cancel() {
	t.d.mu.Lock()
	t.cancelled = true
	t.d.mu.Unlock()
}

// signal wakes the sender if it sleeps.
func (d *dispatcher) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// run is the sender: it takes a slot, waits for a batch to be due, and
// starts it, until the dispatcher is closed and its queue sent.
func (d *dispatcher) run() {
	defer close(d.exited)
	var inFlight sync.WaitGroup
	defer inFlight.Wait()
	for {
		d.slots <- struct{}{}
		batch, ok := d.next()
		if !ok {
			return
		}
		inFlight.Go(func() {
			defer func() { <-d.slots }()
			d.send(batch)
		})
	}
}

// next waits for the next batch to be due and cuts it: false when the
// dispatcher is closed and nothing is left to send.
func (d *dispatcher) next() ([]queued, bool) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		d.dropCancelled()
		var sleep time.Duration // 0: until woken
		switch {
		case len(d.queue) >= d.batchSize:
			return d.cut(), true
		case len(d.queue) > 0 && (d.closed || d.someoneWaits()):
			if d.paced != nil {
				// Compared, not subtracted: NextStart may be the zero
				// time, whose distance saturates at the lowest Duration.
				if left := time.Until(d.paced.NextStart()); left > cutLead {
					sleep = left - cutLead
					break
				}
			}
			return d.cut(), true
		case d.closed:
			return nil, false
		}
		d.mu.Unlock()
		if sleep > 0 {
			timer.Reset(sleep)
			select {
			case <-d.wake:
			case <-timer.C:
			}
		} else {
			<-d.wake
		}
		d.mu.Lock()
	}
}

// someoneWaits reports whether a bundle with reviews in the queue is
// blocked on its results. Called with mu held.
func (d *dispatcher) someoneWaits() bool {
	if d.waiting == 0 {
		return false
	}
	for _, q := range d.queue {
		if q.t.waits {
			return true
		}
	}
	return false
}

// dropCancelled takes cancelled bundles' reviews out of the queue.
// Called with mu held.
func (d *dispatcher) dropCancelled() {
	keep := d.queue[:0]
	for _, q := range d.queue {
		if q.t.cancelled {
			q.t.outstanding--
			continue
		}
		keep = append(keep, q)
	}
	clear(d.queue[len(keep):])
	d.queue = keep
}

// cut takes the next batch off the queue. Called with mu held.
func (d *dispatcher) cut() []queued {
	n := min(len(d.queue), d.batchSize)
	batch := make([]queued, n)
	copy(batch, d.queue)
	d.queue = append(d.queue[:0], d.queue[n:]...)
	return batch
}

// send runs one batch through the extractor and hands every bundle its
// part of the answer, in the order the bundle handed the reviews over.
// The call's context is the dispatcher's, not a bundle's: a batch serves
// several bundles, and one bundle giving up must not fail the others.
func (d *dispatcher) send(batch []queued) {
	items := make([]llm.Item, len(batch))
	for i, q := range batch {
		items[i] = llm.Item{ID: q.r.ReviewID, Text: q.r.Text}
	}
	res, err := d.extractor.Extract(context.Background(), items)
	if err == nil && len(res) != len(items) {
		err = fmt.Errorf("extractor returned %d results for %d reviews", len(res), len(items))
	}
	parts := map[*ticket]*batchResult{}
	var order []*ticket
	for i, q := range batch {
		p := parts[q.t]
		if p == nil {
			p = &batchResult{err: err, counts: len(order) == 0}
			parts[q.t] = p
			order = append(order, q.t)
		}
		p.reviews = append(p.reviews, q.r)
		if err == nil {
			p.results = append(p.results, res[i])
		}
	}
	d.mu.Lock()
	for _, t := range order {
		p := parts[t]
		t.outstanding -= len(p.reviews)
		if t.cancelled {
			continue
		}
		t.done = append(t.done, *p)
		select {
		case t.ready <- struct{}{}:
		default:
		}
	}
	d.mu.Unlock()
}

// close sends what is queued, waits for every batch in flight, and stops
// the sender.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.signal()
	<-d.exited
}

var (
	dispatchMu  sync.Mutex
	dispatchers = map[string]*dispatcher{}
)

// acquireDispatcher returns this process's dispatcher for o's extractor
// and batch shape, starting it on first use. Each acquire is matched by a
// release.
func acquireDispatcher(o ExtractOptions, e llm.Extractor) (*dispatcher, string) {
	key := fmt.Sprintf("%s|%+v|%d|%d", o.Kind, o.LLM, o.BatchSize, o.Concurrency)
	dispatchMu.Lock()
	defer dispatchMu.Unlock()
	d := dispatchers[key]
	if d == nil {
		d = newDispatcher(e, o.BatchSize, o.Concurrency)
		dispatchers[key] = d
		if d.paced != nil {
			raiseProcs()
		}
	}
	d.refs++
	return d, key
}

// releaseDispatcher drops one use of the dispatcher under key; the last
// one closes it, after it has sent what it holds.
func releaseDispatcher(key string) {
	dispatchMu.Lock()
	d := dispatchers[key]
	if d == nil {
		dispatchMu.Unlock()
		return
	}
	d.refs--
	last := d.refs == 0
	if last {
		delete(dispatchers, key)
	}
	dispatchMu.Unlock()
	if last {
		d.close()
	}
}

// procsWant is what raiseProcs keeps GOMAXPROCS at: twice what it was
// when the dispatcher of a paced extractor (llm.Paced: an LLM client,
// which spaces its requests and pauses after a 429) first started in this
// process.
var (
	procsOnce sync.Once
	procsWant int
)

// raiseProcs keeps GOMAXPROCS at twice the process's own (by default the
// CPUs it may use), unless the GOMAXPROCS environment variable says
// otherwise; each new paced dispatcher checks it again, should something
// have set it back (the testing package does, before each benchmark).
// Against a strict budget (burst 1)
// every request must leave on its moment: a sender goroutine woken by its
// timer otherwise waits for a P while the runner's goroutines hold all of
// them (prism works on a stream's 10 ms ticks in this process). Measured
// on 2 cores, a stream at 600 rpm burst 1: send lag p99 8-17 ms and 86% of
// the ceiling with 2 Ps, ~1 ms and 90% with 4 (BENCHMARKS.md). With more Ps
// than cores the woken goroutine gets a thread at once and the kernel,
// which favours a thread that wakes, runs it; the stage waits on the
// network, so the extra Ps cost nothing that matters.
func raiseProcs() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	procsOnce.Do(func() { procsWant = 2 * runtime.GOMAXPROCS(0) })
	if runtime.GOMAXPROCS(0) < procsWant {
		runtime.GOMAXPROCS(procsWant)
	}
}
