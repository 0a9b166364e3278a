package themes

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/models/synth"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(benchServeEnv); spec != "" {
		serveBench(spec)
		return
	}
	ptest.MainWithDefault(m, "prism")
}

func init() {
	beam.RegisterFunction(stampReview)
	beam.RegisterFunction(describeCount)
	beam.RegisterFunction(describeAlert)
	register.DoFn2x0[events.ThemeAlert, func(string)](&outsideSpikeFn{})
}

func stampReview(r events.ReviewWithThemes) (beam.EventTime, events.ReviewWithThemes) {
	return beam.EventTime(r.Review.EventTimeMs), r
}

// outsideSpikeFn passes on the alerts that are not about the planted spike.
type outsideSpikeFn struct {
	Theme      string
	Start, End int64
}

func (fn *outsideSpikeFn) ProcessElement(a events.ThemeAlert, emit func(string)) {
	if a.Theme != fn.Theme || a.WindowStartMs < fn.Start || a.WindowStartMs > fn.End {
		emit(describeAlert(a))
	}
}

func describeCount(c events.ThemeCount) string {
	return fmt.Sprintf("%d %s %d #%d", c.WindowStartMs, c.Theme, c.Count, c.Rank)
}

func describeAlert(a events.ThemeAlert) string {
	return fmt.Sprintf("%d %s", a.WindowStartMs, a.Theme)
}

// labelledReviews returns generated reviews with the themes they were
// written from (a perfect extractor), and whether each was in the spike.
func labelledReviews(t *testing.T, n int) ([]events.ReviewWithThemes, []bool) {
	t.Helper()
	var data, labels bytes.Buffer
	if err := synth.Reviews(&data, &labels, synth.ReviewOptions{N: n, Seed: 42}); err != nil {
		t.Fatal(err)
	}
	var dec events.ReviewDecoder
	var out []events.ReviewWithThemes
	var spike []bool
	ds, ls := bufio.NewScanner(&data), bufio.NewScanner(&labels)
	for ds.Scan() && ls.Scan() {
		var l synth.ReviewLabel
		if err := json.Unmarshal(ls.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		r, err := dec.Decode(ds.Bytes())
		if err != nil {
			continue // the malformed ones
		}
		out = append(out, events.ReviewWithThemes{Review: r, Themes: l.Themes})
		spike = append(spike, l.Spike)
	}
	return out, spike
}

func global(s beam.Scope, col beam.PCollection) beam.PCollection {
	return beam.WindowInto(s, window.NewGlobalWindows(), col)
}

func TestCountAndTop(t *testing.T) {
	reviews, _ := labelledReviews(t, 1500)
	size := 10 * time.Minute
	// Expected counts, computed directly.
	type key struct {
		start int64
		theme string
	}
	want := map[key]int64{}
	for _, r := range reviews {
		start := r.Review.EventTimeMs - r.Review.EventTimeMs%size.Milliseconds()
		for _, th := range r.Themes {
			want[key{start, th}]++
		}
	}
	byWindow := map[int64][]key{}
	for k := range want {
		byWindow[k.start] = append(byWindow[k.start], k)
	}
	var wantTop []any
	for start, ks := range byWindow {
		sort.Slice(ks, func(i, j int) bool {
			if want[ks[i]] != want[ks[j]] {
				return want[ks[i]] > want[ks[j]]
			}
			return ks[i].theme < ks[j].theme
		})
		for i, k := range ks[:min(3, len(ks))] {
			wantTop = append(wantTop, fmt.Sprintf("%d %s %d #%d", start, k.theme, want[k], i+1))
		}
	}

	p, s := beam.NewPipelineWithRoot()
	in := beam.ParDo(s, stampReview, beam.CreateList(s, reviews))
	counts := Count(s, in, CountOptions{Size: size})
	passert.Count(s, global(s, counts), "counts", len(want))
	passert.Equals(s, global(s, beam.ParDo(s, describeCount, Top(s, counts, 3))), wantTop...)
	ptest.RunAndValidate(t, p)
}

func TestTrendingFindsThePlantedSpike(t *testing.T) {
	reviews, spike := labelledReviews(t, 1500)
	var spikeStart, spikeEnd int64 = 1 << 62, 0
	for i, r := range reviews {
		if spike[i] {
			spikeStart = min(spikeStart, r.Review.EventTimeMs)
			spikeEnd = max(spikeEnd, r.Review.EventTimeMs)
		}
	}
	size := 10 * time.Minute
	p, s := beam.NewPipelineWithRoot()
	in := beam.ParDo(s, stampReview, beam.CreateList(s, reviews))
	alerts := Trending(s, Count(s, in, CountOptions{Size: size}), size, TrendOptions{})
	described := global(s, beam.ParDo(s, describeAlert, alerts))
	unexpected := beam.ParDo(s, &outsideSpikeFn{Theme: "battery life", Start: spikeStart - size.Milliseconds(), End: spikeEnd}, global(s, alerts))
	passert.Empty(s, unexpected)
	passert.NonEmpty(s, described)
	ptest.RunAndValidate(t, p)
}
