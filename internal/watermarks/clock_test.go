package watermarks

import "testing"

// TestObserveBoundsTheWatermarkByTheClock: a time at or before the clock
// counts as it is, one a little ahead counts as the clock, one further
// ahead than ClockTolerance does not count.
func TestObserveBoundsTheWatermarkByTheClock(t *testing.T) {
	const now = 1_000_000
	tol := ClockTolerance.Milliseconds()
	for _, c := range []struct {
		ms, want int64
		ok       bool
	}{
		{now - 5_000, now - 5_000, true},
		{now, now, true},
		{now + tol, now, true},
		{now + tol + 1, 0, false},
		{now + 10*3600*1000, 0, false},
	} {
		got, ok := Observe(c.ms, now)
		if got != c.want || ok != c.ok {
			t.Errorf("Observe(%d, %d) = %d, %v; want %d, %v", c.ms, now, got, ok, c.want, c.ok)
		}
	}
}
