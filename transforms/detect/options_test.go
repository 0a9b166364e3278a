package detect

import (
	"testing"

	"github.com/beamlens/beamlens/models/detectors"
)

// A nil Threshold is the default; any other, 0 included, is kept: the
// case a ThresholdSet companion existed for.
func TestThresholdUnsetIsDefault(t *testing.T) {
	if got := (Options{}).withDefaults().config().Threshold; got != detectors.DefaultThreshold {
		t.Errorf("unset: threshold %v, want %v", got, detectors.DefaultThreshold)
	}
	for _, v := range []float64{0, -5, 42} {
		if got := (Options{Threshold: new(v)}).withDefaults().config().Threshold; got != v {
			t.Errorf("Threshold new(%v): got %v", v, got)
		}
	}
}
