package events

import (
	"encoding/json"
	"math"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/beamlens/beamlens/internal/badinput"
)

// seedDecoders adds the hostile corpus of the pipeline (testdata/bad) and the
// large cases to a decoder fuzz target.
func seedDecoders(f *testing.F, pipeline string) {
	for _, c := range badinput.Cases(pipeline) {
		f.Add(c.Line)
	}
}

var fuzzOpts = DecodeOptions{NowMs: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()}

// checkID holds an accepted id to the decoder's contract.
func checkID(t *testing.T, field, id string) {
	t.Helper()
	if len(id) == 0 || len(id) > MaxIDBytes || !utf8.ValidString(id) || controlIndex([]byte(id)) >= 0 {
		t.Fatalf("accepted %s %q breaks the id contract", field, id)
	}
}

func FuzzReadingDecode(f *testing.F) {
	seedDecoders(f, "sensors")
	f.Fuzz(func(t *testing.T, data []byte) {
		d := ReadingDecoder{Options: fuzzOpts}
		r, err := d.Decode(data)
		// Whatever the input, its dead letter must be valid JSON.
		if err != nil {
			dl := NewDeadLetter("decode", err.Error(), data, "fuzz")
			if out := dl.AppendJSON(nil); !json.Valid(out) {
				t.Fatalf("dead letter is not JSON: %q", out)
			}
			return
		}
		checkID(t, "device_id", r.DeviceID)
		if !json.Valid(r.Raw) {
			t.Fatalf("accepted raw %q is not JSON", r.Raw)
		}
		for _, m := range r.Metrics {
			if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
				t.Fatalf("metric %s = %v", m.Name, m.Value)
			}
		}
		if r.EventTimeMs < 0 {
			t.Fatalf("event time %d before 1970", r.EventTimeMs)
		}
		// An accepted reading flagged as an anomaly must still be one JSON
		// object with no duplicate key.
		a := Anomaly{Reading: r, Detector: "fuzz", Metric: "temperature", Score: 1, Threshold: 0}
		out := a.AppendJSON(nil)
		if _, err := (&ReadingDecoder{Options: DecodeOptions{MaxFuture: -1}}).Decode(out); err != nil {
			t.Fatalf("anomaly output %q does not decode: %v", out, err)
		}
	})
}

func FuzzReviewDecode(f *testing.F) {
	seedDecoders(f, "reviews")
	f.Fuzz(func(t *testing.T, data []byte) {
		d := ReviewDecoder{Options: fuzzOpts}
		r, err := d.Decode(data)
		if err != nil {
			return
		}
		checkID(t, "review_id", r.ReviewID)
		checkID(t, "product_id", r.ProductID)
		if isBlank(r.Text) || !utf8.ValidString(r.Text) {
			t.Fatalf("accepted review text %q", r.Text)
		}
		if r.HasRating && (r.Rating < 1 || r.Rating > 5) {
			t.Fatalf("accepted rating %v", r.Rating)
		}
		// The enriched output must decode again as the same review.
		out := ReviewWithThemes{Review: r, Themes: []string{"battery life", `"quoted"`}}.AppendJSON(nil)
		back, err := (&ReviewDecoder{Options: DecodeOptions{MaxFuture: -1}}).Decode(out)
		if err != nil || back.ReviewID != r.ReviewID || back.Text != r.Text {
			t.Fatalf("enriched output %q does not decode to the same review: %v", out, err)
		}
	})
}
