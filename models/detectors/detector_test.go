package detectors

import "testing"

func TestThreshold(t *testing.T) {
	d := Threshold{Limit: 100}
	for _, c := range []struct {
		v    float64
		want bool
	}{{99.9, false}, {100, false}, {100.0001, true}, {-1e9, false}, {250, true}} {
		got := d.Update(c.v)
		if got.Anomaly != c.want || got.Score != c.v || got.Threshold != 100 {
			t.Errorf("Update(%v) = %+v, want anomaly=%v", c.v, got, c.want)
		}
	}
}

func TestParseSpec(t *testing.T) {
	if n, err := ParseSpec(" threshold "); err != nil || len(n) != 1 || n[0] != "threshold" {
		t.Errorf("ParseSpec = %v, %v", n, err)
	}
	for _, bad := range []string{"", "magic", "threshold,threshold", " , "} {
		if _, err := ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%q) accepted", bad)
		}
	}
}
