package detectors

import (
	"math"
	"testing"
)

// FuzzDecodeSpec: a spec file is user input; whatever it holds, decoding
// must fail cleanly or give a configuration every named detector accepts,
// and those detectors must score without NaN.
func FuzzDecodeSpec(f *testing.F) {
	for _, s := range []string{
		"detectors: [ensemble]\nscore_threshold: 4.5\n",
		"detectors: [threshold, zscore]\nthreshold: 100\nwindow: 50\n",
		`{"detectors":["ewma","iqr"],"alpha":0.1,"quantile":0.99}`,
		`{"detectors":["hst"],"trees":1000000000,"depth":64}`,
		"detectors: [ensemble]\nmembers: [zscore, ensemble]\n",
		"window: -1\n", "detectors: ~\n", "a: &a [*a]\n", "{}", "",
	} {
		f.Add([]byte(s), s != "" && s[0] == '{')
	}
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		s, err := DecodeSpec(data, isJSON)
		if err != nil {
			return
		}
		names, cfg, err := s.Resolve(DefaultThreshold)
		if err != nil {
			t.Fatalf("decoded spec does not resolve: %v", err)
		}
		for _, n := range names {
			d, err := New(n, cfg)
			if err != nil {
				// A decoded spec may still name settings New refuses; it
				// must refuse with a reason, which the CLI shows.
				if err.Error() == "" {
					t.Fatal("refused without a reason")
				}
				continue
			}
			for _, v := range []float64{1, 2, 3, 100, -5, 1e6} {
				if sc := d.Update(v).Score; math.IsNaN(sc) {
					t.Fatalf("%s scored NaN with %+v", n, cfg)
				}
			}
		}
	})
}
