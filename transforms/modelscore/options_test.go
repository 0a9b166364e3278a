package modelscore

import (
	"testing"

	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/models/inference"
)

// Unset OutlierLabel and Threshold mean scikit-learn's label -1 judges; a
// label of 0 and a threshold of 0 are values like any other.
func TestUnsetOptions(t *testing.T) {
	p := inference.Prediction{Labels: []int64{-1, 0, 1}, Scores: []float64{-0.5, 0, 0.5}}
	judge := func(o Options) []bool {
		fn := &scoreFn{Options: o.withDefaults()}
		var out []bool
		for i := range p.Labels {
			_, o := fn.judge(events.Reading{}, p, i)
			out = append(out, o)
		}
		return out
	}
	for _, c := range []struct {
		name string
		o    Options
		want [3]bool
	}{
		{"defaults: label -1", Options{}, [3]bool{true, false, false}},
		{"label 0", Options{OutlierLabel: new(int64(0))}, [3]bool{false, true, false}},
		{"threshold 0: below", Options{Threshold: new(0.0)}, [3]bool{true, false, false}},
		{"threshold 0: above", Options{Threshold: new(0.0), ScoreAbove: true}, [3]bool{false, false, true}},
	} {
		if got := judge(c.o); [3]bool(got) != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
