package detectors

import (
	"strings"
	"testing"
)

func TestCombine(t *testing.T) {
	warm := Verdict{Warming: true, Score: 99, Threshold: 1}
	v := func(score, threshold float64) Verdict {
		return Verdict{Score: score, Threshold: threshold, Anomaly: score > threshold}
	}
	// u is a member's unit score: a vote's fraction is their mean.
	u := func(score, threshold float64) float64 { return score / (score + threshold) }
	for _, c := range []struct {
		name    string
		mode    Combiner
		in      []Verdict
		want    Verdict
		wantTop int
	}{
		{"vote: two of three", CombineVote, []Verdict{v(5, 3.5), v(4, 3.5), v(1, 3.5)}, Verdict{Score: 2 + (u(5, 3.5)+u(4, 3.5)+u(1, 3.5))/3, Threshold: 2, Anomaly: true}, 0},
		{"vote: one of three", CombineVote, []Verdict{v(1, 3.5), v(9, 3.5), v(1, 3.5)}, Verdict{Score: 1 + (u(1, 3.5)+u(9, 3.5)+u(1, 3.5))/3, Threshold: 2}, 1},
		{"vote: two of four is no majority", CombineVote, []Verdict{v(5, 3.5), v(4, 3.5), v(1, 3.5), v(0, 3.5)}, Verdict{Score: 2 + (u(5, 3.5)+u(4, 3.5)+u(1, 3.5)+u(0, 3.5))/4, Threshold: 3}, 0},
		{"vote: warming members count against", CombineVote, []Verdict{v(5, 3.5), warm, warm}, Verdict{Score: 1 + u(5, 3.5), Threshold: 2}, 0},
		{"vote: strong minority stays below a weak majority", CombineVote, []Verdict{v(1e300, 3.5), v(1e300, 3.5), v(0, 3.5), v(0, 3.5), v(0, 3.5)}, Verdict{Score: 2 + 0.4, Threshold: 3}, 0},
		{"vote: a bare majority is above its threshold", CombineVote, []Verdict{v(3.6, 3.5), v(3.6, 3.5), v(0, 3.5)}, Verdict{Score: 2 + 2*u(3.6, 3.5)/3, Threshold: 2, Anomaly: true}, 0},
		{"vote: all warming", CombineVote, []Verdict{warm, warm}, Verdict{Warming: true}, -1},
		{"max: any member", CombineMax, []Verdict{v(1, 3.5), v(4, 3.5), v(2, 3.5)}, v(4, 3.5), 1},
		{"max: relative to each threshold", CombineMax, []Verdict{v(6, 5), v(4, 3)}, v(4, 3), 1},
		{"max: none above", CombineMax, []Verdict{v(1, 3.5), v(3, 3.5)}, v(3, 3.5), 1},
		{"max: warming ignored", CombineMax, []Verdict{warm, v(1, 3.5)}, v(1, 3.5), 1},
		{"mean: adds up", CombineMean, []Verdict{v(3, 3), v(3.4, 3), v(3, 3)}, Verdict{Score: 9.4 / 3, Threshold: 3, Anomaly: true}, 1},
		{"mean: one loud member diluted", CombineMean, []Verdict{v(5, 3.5), v(1, 3.5), v(1, 3.5)}, Verdict{Score: 7.0 / 3, Threshold: 3.5}, 0},
		{"mean: warming ignored", CombineMean, []Verdict{warm, v(4, 3.5)}, v(4, 3.5), 1},
	} {
		got, top := combine(c.mode, c.in)
		if got.Anomaly != c.want.Anomaly || got.Warming != c.want.Warming || top != c.wantTop ||
			!near(got.Score, c.want.Score) || !near(got.Threshold, c.want.Threshold) {
			t.Errorf("%s: combine = %+v top %d; want %+v top %d", c.name, got, top, c.want, c.wantTop)
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 }

// TestEnsembleBaseline: an ensemble's anomaly carries the baseline of the
// member it blames, names prefixed with the member's.
func TestEnsembleBaseline(t *testing.T) {
	e := NewEnsemble(Config{})
	if got := strings.Join(e.Members(), ","); got != "likelihood,stuck" {
		t.Fatalf("default members %s", got)
	}
	run(e, gaussian(3, 400, 20, 1))
	v := e.Update(60)
	if !v.Anomaly || v.Threshold != DefaultScoreThreshold {
		t.Fatalf("60 after N(20,1): %+v", v)
	}
	if len(v.Baseline) == 0 {
		t.Fatal("no baseline")
	}
	prefix, _, _ := strings.Cut(v.Baseline[0].Name, ".")
	if prefix != "likelihood" {
		t.Errorf("baseline %v not prefixed by a member", v.Baseline)
	}
}

// TestEnsembleState: members' state survives a round trip, and state
// from an ensemble of other members is refused.
func TestEnsembleState(t *testing.T) {
	a := NewEnsemble(Config{Members: []string{"zscore", "ewma"}})
	run(a, gaussian(1, 100, 0, 1))
	state, _ := a.MarshalBinary()
	b := NewEnsemble(Config{Members: []string{"zscore", "iqr"}})
	if err := b.UnmarshalBinary(state); !IsStateMismatch(err) {
		t.Errorf("restoring other members' state: %v", err)
	}
	c := NewEnsemble(Config{Members: []string{"zscore", "ewma"}, Window: 50})
	if err := c.UnmarshalBinary(state); !IsStateMismatch(err) || !strings.Contains(err.Error(), "member zscore") {
		t.Errorf("restoring into members with another window: %v", err)
	}
}
