package events

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestReviewDecode(t *testing.T) {
	d := ReviewDecoder{Options: DecodeOptions{NowMs: fixedNow}}
	r, err := d.Decode([]byte(`{"review_id":"r1","product_id":"p1","timestamp":"2025-01-01T00:00:00Z","rating":4,"review_text":"Battery died fast","lang":"en"}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.ReviewID != "r1" || r.ProductID != "p1" || !r.HasRating || r.Rating != 4 || r.Text != "Battery died fast" {
		t.Errorf("decoded %+v", r)
	}
	out := ReviewWithThemes{Review: r, Themes: []string{"battery life"}}.AppendJSON(nil)
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil || m["lang"] != "en" || m["themes"].([]any)[0] != "battery life" {
		t.Errorf("enriched review %s (%v)", out, err)
	}
	bad := []struct{ in, field string }{
		{`{"product_id":"p","timestamp":0,"review_text":"x"}`, "review_id"},
		{`{"review_id":"r","timestamp":0,"review_text":"x"}`, "product_id"},
		{`{"review_id":"r","product_id":"p","review_text":"x"}`, "timestamp"},
		{`{"review_id":"r","product_id":"p","timestamp":0,"review_text":"  \t "}`, "review_text"},
		{`{"review_id":"r","product_id":"p","timestamp":0}`, "review_text"},
		{`{"review_id":"r","product_id":"p","timestamp":0,"review_text":7}`, "review_text"},
		{`{"review_id":"r","product_id":"p","timestamp":0,"review_text":"x","rating":6}`, "rating"},
		{`{"review_id":"r","product_id":"p","timestamp":0,"review_text":"x","rating":"five"}`, "rating"},
	}
	for _, c := range bad {
		_, err := d.Decode([]byte(c.in))
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != c.field {
			t.Errorf("Decode(%s) = %v, want error on %q", c.in, err, c.field)
		}
	}
}

func TestThemeOutputs(t *testing.T) {
	c := ThemeCount{Theme: "battery life", Count: 3, WindowStartMs: 0, WindowEndMs: 60000}
	var m map[string]any
	if err := json.Unmarshal(ThemeAlert{ThemeCount: c, Baseline: 1.5, Score: 2}.AppendJSON(nil), &m); err != nil {
		t.Fatal(err)
	}
	if m["theme"] != "battery life" || m["count"] != 3.0 || m["window_end"] != "1970-01-01T00:01:00Z" || m["baseline"] != 1.5 {
		t.Errorf("alert %v", m)
	}
	if got := NormaliseTheme("  Battery \t LIFE "); got != "battery life" {
		t.Errorf("NormaliseTheme = %q", got)
	}
	if strings.Contains(string(c.AppendJSON(nil)), "baseline") {
		t.Error("a count has no baseline")
	}
}

// TestReviewEpochSecondsAndFields: a review dump stamped in epoch seconds
// lands on its day, and renamed, nested fields map through the options.
func TestReviewEpochSecondsAndFields(t *testing.T) {
	d := ReviewDecoder{Options: DecodeOptions{NowMs: fixedNow}}
	r, err := d.Decode([]byte(`{"review_id":"r1","product_id":"P9","timestamp":1420070400,"rating":"2","review_text":"Charger died."}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.EventTime().Format(time.RFC3339); got != "2015-01-01T00:00:00Z" || r.Rating != 2 {
		t.Fatalf("time %s rating %v", got, r.Rating)
	}
	d = ReviewDecoder{Options: DecodeOptions{NowMs: fixedNow, TimestampField: "meta.at",
		Review: ReviewFields{ID: "id", Product: "meta.asin", Text: "body", Rating: "stars"}}}
	r, err = d.Decode([]byte(`{"id":"x","meta":{"asin":"B0","at":"2015-01-08t00:00:00z"},"body":"Slow shipping.","stars":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.ReviewID != "x" || r.ProductID != "B0" || r.Text != "Slow shipping." || r.Rating != 1 || r.EventTimeMs != 1420675200000 {
		t.Fatalf("got %+v", r)
	}
	if _, err := d.Decode([]byte(`{"id":"x","meta":{"asin":"B0","at":0},"text":"wrong field"}`)); err == nil || err.Error() != `field "body": is required` {
		t.Fatalf("err = %v", err)
	}
}
