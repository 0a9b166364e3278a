package llm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/models/synth"
)

// TestOfflineRecoversSynthThemes scores the offline model against the
// labels of 2,000 synthetic reviews.
func TestOfflineRecoversSynthThemes(t *testing.T) {
	for _, seed := range []uint64{1, 42} {
		var reviews, labels bytes.Buffer
		if err := synth.Reviews(&reviews, &labels, synth.ReviewOptions{N: 2000, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		o := NewOffline()
		var dec events.ReviewDecoder
		rs, ls := bufio.NewScanner(&reviews), bufio.NewScanner(&labels)
		var tp, fp, fn, n int
		for rs.Scan() && ls.Scan() {
			var l synth.ReviewLabel
			if err := json.Unmarshal(ls.Bytes(), &l); err != nil {
				t.Fatal(err)
			}
			r, err := dec.Decode(rs.Bytes())
			if err != nil {
				continue
			}
			n++
			got := o.Themes(r.Text)
			for _, th := range got {
				if slices.Contains(l.Themes, th) {
					tp++
				} else {
					fp++
				}
			}
			for _, th := range l.Themes {
				if !slices.Contains(got, th) {
					fn++
					if fn <= 5 {
						t.Logf("missed %q in %q (got %v)", th, r.Text, got)
					}
				}
			}
		}
		precision := float64(tp) / float64(tp+fp)
		recall := float64(tp) / float64(tp+fn)
		t.Logf("seed %d: %d reviews, precision %.4f, recall %.4f (tp %d, fp %d, fn %d)", seed, n, precision, recall, tp, fp, fn)
		if n < 1900 || precision < 0.95 || recall < 0.95 {
			t.Errorf("seed %d: precision %.4f, recall %.4f over %d reviews, want both >= 0.95", seed, precision, recall, n)
		}
	}
}

// TestOfflineBeyondSynth checks phrasings the synthetic generator never
// writes, and the disambiguations the lexicon exists for.
func TestOfflineBeyondSynth(t *testing.T) {
	o := NewOffline()
	cases := []struct {
		text string
		want []string
	}{
		{"The batteries last forever and charging is quick.", []string{"battery life"}},
		{"My order arrived crushed: the boxes were soaked.", []string{"delivery", "packaging"}},
		{"Works right out of the box.", []string{"ease of use"}},
		{"Looks cheap, but for that price I can't complain.", []string{"quality", "price"}},
		{"Cheaply made and overpriced.", []string{"quality", "price"}},
		{"Sizing is off; I had to return it for a refund.", []string{"size/fit", "returns"}},
		{"Customer-support agents were helpful.", []string{"customer service"}},
		{"Supports Bluetooth 5.3, pairs instantly.", []string{}},
		{"User-friendly app, very intuitive.", []string{"ease of use"}},
		{"The speaker sounds muddy and the fan is LOUD.", []string{"sound quality", "noise"}},
		{"Shipped fast, well packed in bubble wrap.", []string{"delivery", "packaging"}},
		{"Great battery pack, holds a charge for days.", []string{"battery life"}},
		{"Bought it for my daughter.", []string{}},
		{"Worth every penny! Sturdy, and the fit is perfect.", []string{"price", "quality", "size/fit"}},
		{"The screen lags and the design is ugly.", []string{"display", "performance", "design"}},
	}
	for _, c := range cases {
		if got := o.Themes(c.text); !slices.Equal(got, c.want) {
			t.Errorf("Themes(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

// TestOfflineSenses checks the words whose theme their clause decides
// (senses.go) and the clause rules for a battery's level and for people
// serving at a place.
func TestOfflineSenses(t *testing.T) {
	o := NewOffline()
	cases := []struct {
		text string
		want []string
	}{
		{"They charge $5 for a refill.", []string{"price"}},
		{"It charges from empty in 90 minutes.", []string{"battery life"}},
		{"For $30 it charges fast.", []string{"price", "battery life"}},
		{"We spent the whole weekend there.", []string{}},
		{"Spent $40 on accessories.", []string{"price"}},
		{"The battery cover is hard to open.", []string{}},
		{"The batteries last about a month.", []string{"battery life"}},
		{"Sugar free syrup, hands free calls.", []string{}},
		{"Mobile service is spotty in the valley.", []string{}},
		{"The service was slow.", []string{"customer service"}},
		{"The lady at the pharmacy sorted it out.", []string{"customer service"}},
		{"The people at the next table were loud.", []string{"noise"}},
		{"Down to 15% by dinner.", []string{"battery life"}},
		{"Got 20% off in the spring sale.", []string{"price"}},
		{"Brightness stays at 40% most of the time.", []string{"display"}},
	}
	for _, c := range cases {
		if got := o.Themes(c.text); !slices.Equal(got, c.want) {
			t.Errorf("Themes(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestOfflineExtract(t *testing.T) {
	o := NewOffline()
	res, err := o.Extract(context.Background(), []Item{
		{ID: "a", Text: "Battery died."}, {ID: "b", Text: "  "}, {ID: "c", Text: "Nothing to say."},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].ID != "a" || !slices.Equal(res[0].Themes, []string{"battery life"}) {
		t.Fatalf("got %+v", res)
	}
	if res[1].Err != ErrBlankText || res[2].Err != nil || res[2].Themes == nil || len(res[2].Themes) != 0 {
		t.Fatalf("got %+v", res)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := o.Extract(ctx, []Item{{ID: "x", Text: "y"}}); err == nil {
		t.Fatal("want an error from a cancelled context")
	}
}

func TestLexiconConflicts(t *testing.T) {
	if _, err := NewOfflineLexicon(Lexicon{"a": {"same words"}, "b": {"Same  word"}}); err == nil {
		t.Fatal("want an error for a phrase under two themes")
	}
	if _, err := NewOfflineLexicon(Lexicon{"a": {"two, clauses"}}); err == nil {
		t.Fatal("want an error for a phrase spanning clauses")
	}
	lex := DefaultLexicon()
	lex["price"] = nil
	if len(defaultLexicon["price"]) == 0 {
		t.Fatal("DefaultLexicon returned the shared map")
	}
}

func TestStem(t *testing.T) {
	groups := [][]string{
		{"charge", "charges", "charging", "charged"},
		{"ship", "ships", "shipping", "shipped"},
		{"package", "packaged", "packaging", "packages"},
		{"size", "sizes", "sizing", "sized"},
		{"fit", "fits", "fitting", "fitted"},
		{"box", "boxes"},
		{"battery", "batteries"},
		{"pad", "padding", "padded"},
	}
	for _, g := range groups {
		for _, w := range g[1:] {
			if stem(w) != stem(g[0]) {
				t.Errorf("stem(%q) = %q, stem(%q) = %q", w, stem(w), g[0], stem(g[0]))
			}
		}
	}
}

func BenchmarkOfflineThemes(b *testing.B) {
	o := NewOffline()
	text := "The parcel arrived late and the courier lost it once. Feels cheap and flimsy. Great value for the price."
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		o.Themes(text)
	}
}

// TestOfflineOnLabelledReviews scores the offline model on product,
// restaurant and hotel reviews written the way people write them (not by
// the generator) and labelled by hand for three themes, by the rules a
// person would use: a review about the waiter's attitude is customer
// service, one about what the bill came to is price. Five sets, each
// written in one sitting (testdata/README.md):
//
//   - labelled_reviews.jsonl (48) was written with the first synonym sets:
//     optimistic, a regression guard.
//   - labelled_reviews_2.jsonl (60) was written next and scored first:
//     price P 0.83 R 0.59, customer service 1.00 / 0.58, battery life
//     0.92 / 0.71. Its misses showed which senses the lexicon lacked
//     (money amounts, reaching support, runtime by kind of device), which
//     were then added as synonym sets and keyphrases: optimistic since.
//   - labelled_reviews_3.jsonl (45) was written after that and scored
//     once: price 1.00 / 0.92, customer service 0.91 / 0.71, battery life
//     1.00 / 0.58. Two changes came after it (the runtime rule, "no
//     complaints"): battery life 1.00 / 0.83, customer service 1.00 / 0.71.
//   - labelled_reviews_4.jsonl (96: products, restaurants, hotels, apps,
//     telecom, airlines, devices; typos, slang, sarcasm, 23 with none of
//     the three themes and hard negatives such as "battery compartment
//     cover" or "cell service") was written without looking at the
//     lexicon and scored once, before any change: price 0.92 / 0.88,
//     customer service 0.85 / 0.79, battery life 0.80 / 0.91: the honest
//     estimate of that model on unseen reviews. Its misses guided the
//     third widening (senses.go: a word's sense from its clause; people
//     who serve, reaching a person, costing nothing, utility services):
//     0.96 / 0.96, 1.00 / 0.97, 1.00 / 1.00, optimistic since.
//   - labelled_reviews_5.jsonl (70, 18 with none of the three) was written
//     after the third widening, by someone who had read the lexicon by
//     then, and scored once: price 0.85 / 0.94, customer service
//     1.00 / 0.80, battery life 0.93 / 0.87.
//
// The target, 0.8 both ways for each theme, is asserted on every set.
func TestOfflineOnLabelledReviews(t *testing.T) {
	for _, file := range []string{
		"labelled_reviews.jsonl", "labelled_reviews_2.jsonl", "labelled_reviews_3.jsonl",
		"labelled_reviews_4.jsonl", "labelled_reviews_5.jsonl",
	} {
		t.Run(file, func(t *testing.T) {
			scoreLabelled(t, "testdata/"+file)
		})
	}
}

func scoreLabelled(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o := NewOffline()
	themes := []string{"price", "customer service", "battery life"}
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	n := 0
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var r struct {
			Text   string   `json:"text"`
			Themes []string `json:"themes"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		n++
		got := o.Themes(r.Text)
		for _, th := range themes {
			g, w := slices.Contains(got, th), slices.Contains(r.Themes, th)
			switch {
			case g && w:
				tp[th]++
			case g:
				fp[th]++
				t.Logf("false %s: %q", th, r.Text)
			case w:
				fn[th]++
				t.Logf("missed %s: %q", th, r.Text)
			}
		}
	}
	for _, th := range themes {
		p := float64(tp[th]) / float64(max(1, tp[th]+fp[th]))
		r := float64(tp[th]) / float64(max(1, tp[th]+fn[th]))
		t.Logf("%-16s precision %.2f recall %.2f (tp %d, fp %d, fn %d) over %d reviews", th, p, r, tp[th], fp[th], fn[th], n)
		if p < 0.8 || r < 0.8 {
			t.Errorf("%s: precision %.2f, recall %.2f; want at least 0.80 both", th, p, r)
		}
	}
}

// BenchmarkOfflineLabelled runs the offline model over every hand-labelled
// review (testdata/labelled_reviews*.jsonl), the way real reviews vary in
// length and wording; ns/op is for the whole set.
func BenchmarkOfflineLabelled(b *testing.B) {
	var texts []string
	for _, f := range []string{"labelled_reviews.jsonl", "labelled_reviews_2.jsonl", "labelled_reviews_3.jsonl", "labelled_reviews_4.jsonl", "labelled_reviews_5.jsonl"} {
		data, err := os.ReadFile("testdata/" + f)
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			var r struct{ Text string }
			if err := json.Unmarshal(line, &r); err != nil {
				b.Fatal(err)
			}
			texts = append(texts, r.Text)
		}
	}
	o := NewOffline()
	for b.Loop() {
		for _, t := range texts {
			o.Themes(t)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(texts)), "ns/review")
}
