package themes

import (
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*events.ReviewWithThemes)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*events.ThemeCount)(nil)).Elem())
	register.DoFn2x0[events.ReviewWithThemes, func(string)](&explodeThemesFn{})
	register.DoFn3x1[beam.Window, string, int, events.ThemeCount](&toThemeCountFn{})
	register.DoFn2x0[events.ThemeCount, func(int, events.ThemeCount)](&keyByWindowFn{})
	register.DoFn3x0[int, func(*events.ThemeCount) bool, func(events.ThemeCount)](&rankFn{})
	register.Emitter1[string]()
	register.Emitter1[events.ThemeCount]()
	register.Emitter2[int, events.ThemeCount]()
	register.Iter1[events.ThemeCount]()
}

// CountOptions configures Count. The zero value is the default.
type CountOptions struct {
	// Size is the window length. Default 10 minutes.
	Size time.Duration
	// Period, when set and shorter than Size, slides the windows. Default 0
	// (fixed windows).
	Period time.Duration
}

// DefaultWindow is the default theme-count window.
const DefaultWindow = 10 * time.Minute

func (o CountOptions) windowFn() *window.Fn {
	if o.Size == 0 {
		o.Size = DefaultWindow
	}
	if o.Size < time.Millisecond || o.Period < 0 || (o.Period > 0 && o.Period >= o.Size) {
		panic(fmt.Sprintf("themes.Count: bad window size %s / period %s", o.Size, o.Period))
	}
	if o.Period > 0 {
		return window.NewSlidingWindows(o.Period, o.Size)
	}
	return window.NewFixedWindows(o.Size)
}

// Count counts the reviews mentioning each theme in each event-time window:
// PCollection<events.ReviewWithThemes> in, PCollection<events.ThemeCount>
// out (in the count windows). A review names each theme at most once.
func Count(s beam.Scope, reviews beam.PCollection, opts CountOptions) beam.PCollection {
	s = s.Scope("themes.Count")
	mentions := beam.ParDo(s, &explodeThemesFn{}, reviews)
	windowed := beam.WindowInto(s, opts.windowFn(), mentions)
	return beam.ParDo(s, &toThemeCountFn{}, stats.Count(s, windowed))
}

type explodeThemesFn struct{}

func (fn *explodeThemesFn) ProcessElement(r events.ReviewWithThemes, emit func(string)) {
	seen := make(map[string]bool, len(r.Themes))
	for _, t := range r.Themes {
		if !seen[t] {
			seen[t] = true
			emit(t)
		}
	}
}

type toThemeCountFn struct{}

func (fn *toThemeCountFn) ProcessElement(w beam.Window, theme string, n int) events.ThemeCount {
	c := events.ThemeCount{Theme: theme, Count: int64(n)}
	if iw, ok := w.(window.IntervalWindow); ok {
		c.WindowStartMs, c.WindowEndMs = int64(iw.Start), int64(iw.End)
	}
	return c
}

// Top ranks the themes of each window by count (ties by name) and keeps
// the k most mentioned, with Rank set (1 = most mentioned); k <= 0 keeps all.
// PCollection<events.ThemeCount> in and out, in the same windows.
func Top(s beam.Scope, counts beam.PCollection, k int) beam.PCollection {
	s = s.Scope("themes.Top")
	byWindow := beam.ParDo(s, &keyByWindowFn{}, counts)
	return beam.ParDo(s, &rankFn{K: k}, beam.GroupByKey(s, byWindow))
}

// keyByWindowFn groups all themes of a window under one key: a window holds
// a handful of themes, so one key per window is no hot spot.
type keyByWindowFn struct{}

func (fn *keyByWindowFn) ProcessElement(c events.ThemeCount, emit func(int, events.ThemeCount)) {
	emit(0, c)
}

type rankFn struct {
	K int
}

func (fn *rankFn) ProcessElement(_ int, counts func(*events.ThemeCount) bool, emit func(events.ThemeCount)) {
	var all []events.ThemeCount
	var c events.ThemeCount
	for counts(&c) {
		all = append(all, c)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Count != all[j].Count {
			return all[i].Count > all[j].Count
		}
		return all[i].Theme < all[j].Theme
	})
	for i, c := range all {
		if fn.K > 0 && i >= fn.K {
			break
		}
		c.Rank = i + 1
		emit(c)
	}
}
