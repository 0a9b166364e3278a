package synth

import (
	"cmp"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/beamlens/beamlens/models/events"
)

// Themes are the themes generated reviews are written from, in the form the
// themes pipeline reports them (lower case, normalised).
var Themes = []string{
	"battery life", "delivery", "customer service", "price",
	"quality", "size/fit", "packaging", "ease of use",
}

// themeSentences holds, per theme, phrasings that a reader (or a model)
// would file under it: negative first, then positive.
var themeSentences = map[string][2][]string{
	"battery life": {
		{"The battery dies after two hours.", "Battery drains overnight even when off.", "Charge barely lasts half a day."},
		{"The battery lasts all week.", "Great battery life, I charge it once a week.", "Battery holds its charge for days."},
	},
	"delivery": {
		{"Shipping took three weeks.", "The parcel arrived late and the courier lost it once.", "Delivery was delayed twice."},
		{"Arrived a day early.", "Fast shipping, it came the next morning.", "Delivery was quick and tracked."},
	},
	"customer service": {
		{"Support never answered my emails.", "The help desk was rude and unhelpful.", "Customer service kept me on hold for an hour."},
		{"Support replaced it without questions.", "The customer service team was friendly and fast.", "The help line solved my problem in minutes."},
	},
	"price": {
		{"Way too expensive for what it is.", "Overpriced compared to similar products.", "Not worth the money."},
		{"Great value for the price.", "Cheap and does the job.", "Affordable, well worth the money."},
	},
	"quality": {
		{"It broke after a week.", "Feels cheap and flimsy.", "The stitching came apart quickly."},
		{"Solid build, feels premium.", "Very well made and sturdy.", "Excellent quality materials."},
	},
	"size/fit": {
		{"Runs two sizes small.", "Too big, the fit is all wrong.", "The size chart is misleading."},
		{"Fits perfectly.", "True to size and comfortable.", "The fit is just right."},
	},
	"packaging": {
		{"The box was crushed and the packaging torn.", "Came in a flimsy bag with no padding.", "Wasteful packaging, plastic everywhere."},
		{"Nicely packaged and protected.", "Beautiful box, well padded.", "Minimal, recyclable packaging."},
	},
	"ease of use": {
		{"Setup was confusing and the manual useless.", "Hard to use, the buttons make no sense.", "Took an hour to figure out."},
		{"Easy to set up in five minutes.", "Simple and intuitive to use.", "Works out of the box, no manual needed."},
	},
}

// ReviewOptions shapes a review stream. The zero value is the default.
type ReviewOptions struct {
	// N is the number of lines. Default 1,000.
	N int
	// Seed makes the stream reproducible.
	Seed uint64
	// Products is the number of product ids. Default 20.
	Products int
	// Start is the first event time. Default 2025-01-01T00:00:00Z.
	Start time.Time
	// Interval is the mean time between reviews. Default 30s.
	Interval time.Duration
	// SpikeTheme is a theme that, in the middle fifth of the stream, is
	// written into most reviews: a trend the themes pipeline should alert
	// on. Default "battery life"; "-" for none.
	SpikeTheme string
	// MalformedRate is the per-line probability of a broken record.
	// Default 0.01.
	MalformedRate float64
}

func (o ReviewOptions) withDefaults() ReviewOptions {
	o.N = positiveOr(o.N, 1000)
	o.Products = positiveOr(o.Products, 20)
	if o.Start.IsZero() {
		o.Start = defaultStart
	}
	o.Interval = positiveOr(o.Interval, 30*time.Second)
	o.SpikeTheme = cmp.Or(o.SpikeTheme, "battery life")
	o.MalformedRate = cmp.Or(o.MalformedRate, 0.01)
	return o
}

// ReviewLabel describes one generated review line.
type ReviewLabel struct {
	Line     int      `json:"line"`
	ReviewID string   `json:"review_id,omitempty"`
	Kind     string   `json:"kind"`
	Themes   []string `json:"themes"`
	Spike    bool     `json:"spike,omitempty"`
}

// Reviews writes o.N review lines to w and their labels to labels (which
// may be nil).
func Reviews(w io.Writer, labels io.Writer, o ReviewOptions) error {
	o = o.withDefaults()
	rng := rand.New(rand.NewPCG(o.Seed, 0x7e71e3))
	t := o.Start
	for i := 0; i < o.N; i++ {
		t = t.Add(time.Duration(rng.ExpFloat64() * float64(o.Interval)))
		lab := ReviewLabel{Line: i + 1, ReviewID: fmt.Sprintf("rev-%06d", i+1), Kind: KindNormal, Themes: []string{}}
		var rec []byte
		if rng.Float64() < o.MalformedRate {
			lab.Kind = KindMalformed
			rec = malformedReview(rng, lab.ReviewID, t)
		} else {
			spike := o.SpikeTheme != "-" && i >= 2*o.N/5 && i < 3*o.N/5 && rng.Float64() < 0.7
			lab.Themes = pickThemes(rng, spike, o.SpikeTheme)
			lab.Spike = spike
			rec = reviewRecord(rng, lab, fmt.Sprintf("prod-%03d", 1+rng.IntN(o.Products)), t)
		}
		if _, err := w.Write(append(rec, '\n')); err != nil {
			return err
		}
		if err := writeLabel(labels, lab); err != nil {
			return err
		}
	}
	return nil
}

func pickThemes(rng *rand.Rand, spike bool, spikeTheme string) []string {
	n := 1 + rng.IntN(3)
	var out []string
	if spike {
		out = append(out, spikeTheme)
	}
	for _, i := range rng.Perm(len(Themes)) {
		if len(out) >= n {
			break
		}
		if Themes[i] != spikeTheme || !spike {
			out = append(out, Themes[i])
		}
	}
	return out
}

func reviewRecord(rng *rand.Rand, lab ReviewLabel, product string, t time.Time) []byte {
	positive := rng.Float64() < 0.5
	var sentences []string
	for _, th := range lab.Themes {
		side := themeSentences[th][0]
		if positive {
			side = themeSentences[th][1]
		}
		sentences = append(sentences, side[rng.IntN(len(side))])
	}
	rating := 1 + rng.IntN(2)
	if positive {
		rating = 4 + rng.IntN(2)
	}
	b := []byte(`{"review_id":`)
	b = events.AppendString(b, lab.ReviewID)
	b = append(b, `,"product_id":`...)
	b = events.AppendString(b, product)
	b = append(b, `,"timestamp":"`...)
	b = t.AppendFormat(b, time.RFC3339)
	b = append(b, `","rating":`...)
	b = append(b, byte('0'+rating))
	b = append(b, `,"review_text":`...)
	b = events.AppendString(b, strings.Join(sentences, " "))
	return append(b, '}')
}

func malformedReview(rng *rand.Rand, id string, t time.Time) []byte {
	ts := t.Format(time.RFC3339)
	switch rng.IntN(5) {
	case 0:
		return []byte(`{"review_id":"` + id + `","product_id":"p","timestamp":"` + ts + `","review_text":"   "}`)
	case 1:
		return []byte(`{"review_id":"` + id + `","product_id":"p","timestamp":"` + ts + `","rating":9,"review_text":"ok"}`)
	case 2:
		return []byte(`{"review_id":"` + id + `","product_id":"p","timestamp":"` + ts + `","review_te`)
	case 3:
		return []byte(`{"review_id":"` + id + `","timestamp":"` + ts + `","review_text":"no product"}`)
	default:
		return []byte(`{"review_id":"` + id + `","product_id":"p","timestamp":-1,"review_text":"before time"}`)
	}
}
