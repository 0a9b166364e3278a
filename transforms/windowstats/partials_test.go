package windowstats

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/beamlens/beamlens/models/events"
)

// TestBlocksMergeToDirectWindows splits readings at random over chunks,
// flushes each chunk's Aggregator, merges the encoded blocks in a random
// order as the combiner would, and checks every window against statistics
// computed directly from its values: fixed and sliding windows, small
// windows (exact values) and large ones (sketches, some encoded over 16 KiB),
// readings in time order and then out of it, a device with more metrics
// than deviceSeries searches one by one.
func TestBlocksMergeToDirectWindows(t *testing.T) {
	for _, opts := range []Options{
		{Size: 5 * time.Minute},
		{Size: 10 * time.Minute, Period: 5 * time.Minute},
	} {
		opts = opts.withDefaults()
		rng := rand.New(rand.NewPCG(3, 4))
		want := map[[3]string]map[int64][]float64{} // (device, metric, _) -> start -> values
		aggs := make([]*Aggregator, 5)
		for i := range aggs {
			aggs[i] = NewAggregator(opts)
		}
		var starts []int64
		for i := 0; i < 30000; i++ {
			dev := []string{"a", "b:2", "日本"}[rng.IntN(3)]
			t0 := int64(rng.IntN(3*24*3600)) * 1000 // three days: several blocks of windows
			if i < 15000 {
				t0 = 2_000_000 + int64(i)*17_000 // in time order first (windows found by position), then not (by map)
			}
			if dev == "a" && i%3 == 0 {
				t0 = 1_000_000 // one crowded window: a sketch
			}
			v := rng.NormFloat64() * 10
			if dev == "日本" {
				v = math.Exp(rng.Float64()*40-20) * float64(1-2*rng.IntN(2)) // wide range, both signs: a large sketch
			}
			metric := "m"
			if dev == "b:2" {
				metric = "m" + strconv.Itoa(rng.IntN(3*linearSeries)) // more metrics than a linear search takes
			}
			r := events.Reading{DeviceID: dev, EventTimeMs: t0, Metrics: []events.Metric{{Name: metric, Value: v}}}
			aggs[rng.IntN(len(aggs))].Add(&r)
			starts = windowStarts(starts[:0], t0, opts)
			k := [3]string{dev, metric}
			if want[k] == nil {
				want[k] = map[int64][]float64{}
			}
			for _, s := range starts {
				want[k][s] = append(want[k][s], v)
			}
		}
		partials := map[string][][]byte{}
		var largest int
		for _, g := range aggs {
			g.Flush(func(key string, p []byte) {
				partials[key] = append(partials[key], p)
				largest = max(largest, len(p))
			})
			if g.Len() != 0 {
				t.Fatalf("Len after Flush = %d", g.Len())
			}
		}
		got := 0
		for key, ps := range partials {
			rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
			merged, err := mergeEncoded(ps)
			if err != nil {
				t.Fatal(err)
			}
			// Through the coder, as a runner would move a block.
			enc, err := decodeBlock(encodeBlock(merged))
			if err != nil {
				t.Fatal(err)
			}
			device, metric, lo, hi, err := parsePartialKey(key)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range enc.wins {
				if i > 0 && w.start <= enc.wins[i-1].start || w.start < lo || w.start >= hi {
					t.Fatalf("%s: window %d out of order or outside its block [%d, %d)", key, w.start, lo, hi)
				}
				vals := want[[3]string{device, metric}][w.start]
				checkWindow(t, opts, w, vals)
				got++
			}
		}
		wantN := 0
		for _, ws := range want {
			wantN += len(ws)
		}
		if got != wantN {
			t.Errorf("%v: %d windows merged, want %d", opts, got, wantN)
		}
		if largest < 1<<14 {
			t.Errorf("no block over 16 KiB (largest %d): the long-length path went untested", largest)
		}
	}
}

func checkWindow(t *testing.T, opts Options, w windowAcc, vals []float64) {
	t.Helper()
	if int64(len(vals)) != w.acc.Count {
		t.Fatalf("window %d: count %d, want %d", w.start, w.acc.Count, len(vals))
	}
	mean, variance := exact(vals)
	sorted := slices.Sorted(slices.Values(vals))
	rec := statsOf("d", "m", w.start, w.start+opts.Size.Milliseconds(), w.acc, opts.Quantiles, quantileNames(opts.Quantiles))
	scale := math.Max(1, math.Abs(sorted[0])+math.Abs(sorted[len(sorted)-1]))
	if math.Abs(rec.Mean-mean) > 1e-9*scale || rec.Min != sorted[0] || rec.Max != sorted[len(sorted)-1] {
		t.Fatalf("window %d: mean/min/max %v/%v/%v, want %v/%v/%v", w.start, rec.Mean, rec.Min, rec.Max, mean, sorted[0], sorted[len(sorted)-1])
	}
	if len(vals) > 1 && math.Abs(rec.Variance-variance) > 1e-6*math.Max(variance, 1) {
		t.Fatalf("window %d: variance %v, want %v", w.start, rec.Variance, variance)
	}
	for i, q := range opts.Quantiles {
		r := int(q * float64(len(sorted)-1))
		exactQ := sorted[r]
		lo, hi := exactQ, exactQ
		if len(vals) > exactMax {
			// The sketch's relative accuracy, around the value at the
			// rank or a neighbour's: DDSketch's rank is a float, and on
			// the negative side it counts from the top, so it can land one
			// value away.
			lo, hi = sorted[max(r-1, 0)], sorted[min(r+1, len(sorted)-1)]
			lo, hi = lo-0.011*math.Abs(lo), hi+0.011*math.Abs(hi)
		}
		if v := rec.Quantiles[i].Value; v < lo || v > hi {
			t.Fatalf("window %d (%d values): %s = %v, want %v", w.start, len(vals), rec.Quantiles[i].Name, rec.Quantiles[i].Value, exactQ)
		}
	}
}

// TestDecodeBlockRejectsCorrupt: every truncation and a few flipped bytes
// of a real block give an error or a block, never a panic.
func TestDecodeBlockRejectsCorrupt(t *testing.T) {
	g := NewAggregator(Options{})
	for i := 0; i < 300; i++ {
		r := events.Reading{DeviceID: "d", EventTimeMs: int64(i) * 20_000, Metrics: []events.Metric{{Name: "m", Value: float64(i % 7)}}}
		g.Add(&r)
	}
	var p []byte
	g.Flush(func(_ string, b []byte) { p = b })
	if _, err := decodeBlock(p); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(p); n++ {
		if _, err := decodeBlock(p[:n]); err == nil {
			t.Errorf("truncated to %d of %d bytes: no error", n, len(p))
		}
	}
	for i := range p {
		q := slices.Clone(p)
		q[i] ^= 0xff
		_, _ = decodeBlock(q) // must not panic
	}
}

// TestBlockCarriesSensorValuesCompactly: a partial is what crosses the
// runner twice, so a window of a sensor's decimal values travels in a few
// bytes a value (its 8 IEEE bytes only when it is no short decimal), and
// comes back bit for bit, -0 and all.
func TestBlockCarriesSensorValuesCompactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var wins []windowAcc
	values := 0
	for i := range 1000 {
		var a accumulator
		for range 5 {
			a.add(math.Round(rng.NormFloat64()*1000+6000) / 100) // 60.00 +- 10, two places
			values++
		}
		wins = append(wins, windowAcc{start: 1_735_689_600_000 + int64(i)*300_000, acc: a})
	}
	odd := accumulator{}
	for _, v := range []float64{math.Copysign(0, -1), 1.0 / 3, math.SmallestNonzeroFloat64, -1e300, 0.1 + 0.2} {
		odd.add(v)
	}
	wins = append(wins, windowAcc{start: wins[len(wins)-1].start + 300_000, acc: odd})
	enc := appendBlock(nil, wins)
	if perValue := float64(len(enc)) / float64(values); perValue > 4 {
		t.Errorf("a block of two-place sensor values takes %.1f bytes a value, want at most 4", perValue)
	}
	got, err := decodeBlock(enc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.wins) != len(wins) {
		t.Fatalf("%d windows back, want %d", len(got.wins), len(wins))
	}
	for i, w := range got.wins {
		want := wins[i].acc
		if w.start != wins[i].start || w.acc.Count != want.Count || w.acc.Min != want.Min || w.acc.Max != want.Max {
			t.Fatalf("window %d: got start %d count %d min %v max %v, want %d %d %v %v", i, w.start, w.acc.Count,
				w.acc.Min, w.acc.Max, wins[i].start, want.Count, want.Min, want.Max)
		}
		for j, v := range w.acc.vals {
			if math.Float64bits(v) != math.Float64bits(want.vals[j]) {
				t.Fatalf("window %d value %d: got %v (%x), want %v", i, j, v, math.Float64bits(v), want.vals[j])
			}
		}
	}
}

// A device keeps one series per metric, however many metrics it sends and
// whether they are found one by one or through the index.
func TestDeviceSeriesOnePerMetric(t *testing.T) {
	var d deviceSeries
	n := 4 * linearSeries
	for round := range 3 {
		for i := range n {
			s := d.of("m" + strconv.Itoa((i*7+round)%n))
			if s.metric != "m"+strconv.Itoa((i*7+round)%n) {
				t.Fatalf("of(%q) returned the series of %q", "m"+strconv.Itoa(i), s.metric)
			}
		}
	}
	if len(d.list) != n {
		t.Fatalf("%d series for %d metrics", len(d.list), n)
	}
}
