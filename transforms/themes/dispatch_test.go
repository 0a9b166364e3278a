package themes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/models/llm"
)

// pacedExtractor answers every review with its own text as the one theme,
// fails a review whose text starts "refuse" and a whole call holding a
// review "fail", and records each call's texts. Its next request may
// start at next (NextStart), which a test sets.
type pacedExtractor struct {
	mu    sync.Mutex
	calls [][]string
	next  time.Time
}

var errCall = errors.New("the service refused the call")

func (f *pacedExtractor) Extract(_ context.Context, items []llm.Item) ([]llm.Result, error) {
	texts := make([]string, len(items))
	for i, it := range items {
		texts[i] = it.Text
	}
	f.mu.Lock()
	f.calls = append(f.calls, texts)
	f.mu.Unlock()
	if slices.Contains(texts, "fail") {
		return nil, errCall
	}
	res := make([]llm.Result, len(items))
	for i, it := range items {
		res[i].ID = it.ID
		if strings.HasPrefix(it.Text, "refuse") {
			res[i].Err = fmt.Errorf("%w: %s", llm.ErrRejected, it.Text)
			continue
		}
		res[i].Themes = []string{it.Text}
	}
	return res, nil
}

func (f *pacedExtractor) NextStart() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.next
}

func (f *pacedExtractor) setNext(t time.Time) {
	f.mu.Lock()
	f.next = t
	f.mu.Unlock()
}

func (f *pacedExtractor) callTexts() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func review(text string) events.Review {
	return events.Review{ReviewID: "id-" + text, Text: text}
}

func submitAll(t *ticket, texts ...string) {
	for _, s := range texts {
		t.submit(review(s))
	}
}

// collect waits for all of t's results and returns them flattened: text
// -> themes or error, and the texts in the order they came back.
func collect(t *testing.T, tk *ticket) (map[string]llm.Result, map[string]error, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, errs := map[string]llm.Result{}, map[string]error{}
	var order []string
	for {
		done, err := tk.wait(ctx)
		if err != nil {
			t.Fatalf("waiting for results: %v", err)
		}
		if len(done) == 0 {
			return res, errs, order
		}
		for _, b := range done {
			for i, r := range b.reviews {
				order = append(order, r.Text)
				if b.err != nil {
					errs[r.Text] = b.err
					continue
				}
				if b.results[i].ID != r.ReviewID {
					t.Errorf("review %q got the result of %q", r.ReviewID, b.results[i].ID)
				}
				res[r.Text] = b.results[i]
			}
		}
	}
}

// TestDispatcherBatchesAcrossBundlesAtOnePace: reviews of several bundles
// travel in one batch, and a partial batch waits for the extractor's next
// start, so reviews that arrive meanwhile still join it; once full it
// goes at once.
func TestDispatcherBatchesAcrossBundlesAtOnePace(t *testing.T) {
	f := &pacedExtractor{}
	d := newDispatcher(f, 10, 4)
	defer d.close()
	f.setNext(time.Now().Add(300 * time.Millisecond)) // a request just left
	a, b, c, late := d.open(), d.open(), d.open(), d.open()
	submitAll(a, "a1", "a2", "a3")
	submitAll(b, "b1", "b2", "b3")
	submitAll(c, "c1", "c2", "c3")
	var wg sync.WaitGroup
	got := make([]map[string]llm.Result, 3)
	for i, tk := range []*ticket{a, b, c} {
		wg.Go(func() { got[i], _, _ = collect(t, tk) })
	}
	time.Sleep(50 * time.Millisecond) // every bundle now waits; the extractor is not ready
	if calls := f.callTexts(); len(calls) != 0 {
		t.Fatalf("a partial batch went out before the extractor could start it: %v", calls)
	}
	cut := time.Now()
	submitAll(late, "late")
	wg.Wait()
	lateRes, _, _ := collect(t, late)
	calls := f.callTexts()
	if len(calls) != 1 || len(calls[0]) != 10 || !slices.Contains(calls[0], "late") {
		t.Fatalf("calls %v, want one batch of the 10 reviews of four bundles", calls)
	}
	if waited := time.Since(cut); waited > 200*time.Millisecond {
		t.Errorf("the full batch waited %s for the extractor's next start; full batches go at once", waited)
	}
	for i, want := range [][]string{{"a1", "a2", "a3"}, {"b1", "b2", "b3"}, {"c1", "c2", "c3"}} {
		if len(got[i]) != 3 {
			t.Errorf("bundle %d got %d results, want 3", i, len(got[i]))
		}
		for _, s := range want {
			if r := got[i][s]; len(r.Themes) != 1 || r.Themes[0] != s {
				t.Errorf("bundle %d: %q got %+v", i, s, r)
			}
		}
	}
	if r := lateRes["late"]; len(lateRes) != 1 || len(r.Themes) != 1 {
		t.Errorf("the late bundle got %v", lateRes)
	}
}

// TestDispatcherPartialBatchAtTheExtractorsStart: a bundle waiting alone
// gets its partial batch sent once the extractor can start it, not
// before and not much after.
func TestDispatcherPartialBatchAtTheExtractorsStart(t *testing.T) {
	f := &pacedExtractor{}
	d := newDispatcher(f, 10, 4)
	defer d.close()
	start := time.Now().Add(150 * time.Millisecond)
	f.setNext(start)
	a := d.open()
	submitAll(a, "a1", "a2")
	res, _, _ := collect(t, a)
	took := time.Since(start)
	if len(res) != 2 {
		t.Fatalf("results %v", res)
	}
	if took < -cutLead-time.Millisecond {
		t.Errorf("the partial batch was cut %s before the extractor's start", -took)
	}
	if took > time.Second {
		t.Errorf("the partial batch came back %s after the extractor's start", took)
	}
}

// TestDispatcherCloseDrains: closing sends what is queued, partial batch
// included, and returns after every batch is answered.
func TestDispatcherCloseDrains(t *testing.T) {
	f := &pacedExtractor{}
	d := newDispatcher(f, 10, 2)
	a, b := d.open(), d.open()
	for i := range 13 {
		a.submit(review(fmt.Sprint("a", i)))
	}
	for i := range 12 {
		b.submit(review(fmt.Sprint("b", i)))
	}
	d.close()
	if n := a.pending() + b.pending(); n != 0 {
		t.Fatalf("%d reviews not answered after close", n)
	}
	var sizes []int
	for _, c := range f.callTexts() {
		sizes = append(sizes, len(c))
	}
	slices.Sort(sizes) // the two full batches ran at once
	if !slices.Equal(sizes, []int{5, 10, 10}) {
		t.Errorf("batch sizes %v, want two of 10 and the rest, 5", sizes)
	}
	for name, tk := range map[string]*ticket{"a": a, "b": b} {
		var texts []string
		for _, r := range tk.take() {
			for i, rv := range r.reviews {
				if r.err != nil || r.results[i].Themes[0] != rv.Text {
					t.Errorf("bundle %s: %q got %+v, %v", name, rv.Text, r.results[i], r.err)
				}
				texts = append(texts, rv.Text)
			}
		}
		n := 13
		if name == "b" {
			n = 12
		}
		slices.Sort(texts)
		if len(slices.Compact(texts)) != n || !strings.HasPrefix(texts[0], name) || !strings.HasPrefix(texts[len(texts)-1], name) {
			t.Errorf("bundle %s got back %v, want its %d reviews", name, texts, n)
		}
	}
}

// TestDispatcherErrorsReachTheirBundles: a review's own error goes to its
// bundle only; a call that fails as a whole fails every bundle with a
// review in it, and no other.
func TestDispatcherErrorsReachTheirBundles(t *testing.T) {
	f := &pacedExtractor{}
	d := newDispatcher(f, 4, 1)
	defer d.close()
	a, b, c, e, g := d.open(), d.open(), d.open(), d.open(), d.open()
	submitAll(a, "a1", "refuse-a2")
	submitAll(b, "b1", "b2")   // batch 1: a1 refuse-a2 b1 b2
	submitAll(c, "c1", "fail") // batch 2: c1 fail e1 e2, refused as a whole
	submitAll(e, "e1", "e2")   //
	submitAll(g, "g1")         // batch 3, partial
	ra, ea, _ := collect(t, a)
	rb, eb, _ := collect(t, b)
	_, ec, _ := collect(t, c)
	_, ee, _ := collect(t, e)
	rg, eg, _ := collect(t, g)
	if len(ea)+len(eb)+len(eg) != 0 {
		t.Errorf("a call error reached bundles outside the failed call: %v %v %v", ea, eb, eg)
	}
	if r := ra["refuse-a2"]; !errors.Is(r.Err, llm.ErrRejected) {
		t.Errorf("refuse-a2: %+v, want its own ErrRejected", r)
	}
	if r := ra["a1"]; r.Err != nil || r.Themes[0] != "a1" {
		t.Errorf("a1: %+v", r)
	}
	for _, s := range []string{"b1", "b2"} {
		if r := rb[s]; r.Err != nil || r.Themes[0] != s {
			t.Errorf("%s: %+v, want answered", s, r)
		}
	}
	for _, s := range []string{"c1", "fail"} {
		if !errors.Is(ec[s], errCall) {
			t.Errorf("%s: error %v, want the call's", s, ec[s])
		}
	}
	for _, s := range []string{"e1", "e2"} {
		if !errors.Is(ee[s], errCall) {
			t.Errorf("%s: error %v, want the call's (it shared the batch)", s, ee[s])
		}
	}
	if r := rg["g1"]; r.Err != nil || len(r.Themes) != 1 {
		t.Errorf("g1: %+v", r)
	}
}

// TestDispatcherCancelledBundleSendsNothing: a bundle that gave up has its
// queued reviews dropped; the next bundle's batch holds only its own.
func TestDispatcherCancelledBundleSendsNothing(t *testing.T) {
	f := &pacedExtractor{}
	d := newDispatcher(f, 10, 1)
	defer d.close()
	a, b := d.open(), d.open()
	submitAll(a, "a1", "a2", "a3")
	a.cancel()
	submitAll(b, "b1")
	res, _, _ := collect(t, b)
	if len(res) != 1 {
		t.Fatalf("b got %v", res)
	}
	if calls := f.callTexts(); len(calls) != 1 || !slices.Equal(calls[0], []string{"b1"}) {
		t.Errorf("calls %v, want only b1", calls)
	}
}

// TestDispatcherSharedPerProcess: every extractFn instance of one
// configuration gets the same dispatcher; the last release closes it and
// the next acquire starts a new one.
func TestDispatcherSharedPerProcess(t *testing.T) {
	o := ExtractOptions{Kind: KindOffline, BatchSize: 7, Concurrency: 3}
	e := llm.NewOffline()
	d1, k1 := acquireDispatcher(o, e)
	d2, k2 := acquireDispatcher(o, e)
	if d1 != d2 || k1 != k2 {
		t.Fatal("two instances of one configuration got different dispatchers")
	}
	releaseDispatcher(k1)
	select {
	case <-d1.exited:
		t.Fatal("the dispatcher closed while an instance still uses it")
	default:
	}
	releaseDispatcher(k2)
	<-d1.exited
	d3, k3 := acquireDispatcher(o, e)
	defer releaseDispatcher(k3)
	if d3 == d1 {
		t.Error("a closed dispatcher was handed out again")
	}
}

// TestPacedSenderDoublesProcs: a new dispatcher of a paced extractor keeps GOMAXPROCS at twice the process's own, unless the
// GOMAXPROCS variable is set, and raises it again when something (the
// testing package, between benchmarks) set it back; one without a limit
// changes nothing.
func TestPacedSenderDoublesProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(before)
	procsOnce, procsWant = sync.Once{}, 0
	e := llm.NewOffline()
	_, k := acquireDispatcher(ExtractOptions{Kind: KindOffline, BatchSize: 5, Concurrency: 2}, e)
	releaseDispatcher(k)
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Fatalf("an unpaced dispatcher set GOMAXPROCS to %d, was %d", got, before)
	}
	o, paced := ExtractOptions{Kind: "paced", BatchSize: 5, Concurrency: 2}, &pacedExtractor{}
	for range 2 {
		_, k := acquireDispatcher(o, paced)
		releaseDispatcher(k)
	}
	runtime.GOMAXPROCS(before) // as the testing package does before each benchmark
	_, k = acquireDispatcher(o, paced)
	releaseDispatcher(k)
	want := 2 * before
	if os.Getenv("GOMAXPROCS") != "" {
		want = before
	}
	if got := runtime.GOMAXPROCS(0); got != want {
		t.Errorf("after paced dispatchers GOMAXPROCS is %d, want %d (was %d)", got, want, before)
	}
}
