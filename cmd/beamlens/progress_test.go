package main

import (
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	p := newProgress("prism", t0, 1000, 50) // an earlier job in the process read 1000
	steps := []struct {
		at            time.Duration
		read, written int64
		lag           time.Duration
		hasLag        bool
		want, wantNot string
	}{
		// 10k in the first 5s: 2000/s.
		{5 * time.Second, 11_000, 60, 0, false, "running on prism for 5s: 10000 records read (2000/s over the last 5s), 10 written", "watermark"},
		// 500 more in the next 5s: the rate is the interval's, not the run's average.
		{10 * time.Second, 11_500, 70, 3 * time.Second, true, "10500 records read (100/s over the last 5s), 20 written, watermark 3s behind", ""},
		// Nothing moves: idle, not a shrinking average.
		{15 * time.Second, 11_500, 70, 75 * time.Second, true, "10500 records read (idle), 20 written, watermark 1m15s behind", "/s"},
		// A replay of year-old records.
		{20 * time.Second, 11_600, 70, 16754 * time.Hour, true, "watermark > 1 day behind", "16754h"},
		{25 * time.Second, 11_700, 70, 5*time.Hour + 7*time.Minute, true, "watermark 5h07m behind", ""},
	}
	for _, s := range steps {
		got := p.line(t0.Add(s.at), s.read, s.written, s.lag, s.hasLag)
		if !strings.Contains(got, s.want) || (s.wantNot != "" && strings.Contains(got, s.wantNot)) {
			t.Errorf("at %s: %q; want %q and not %q", s.at, got, s.want, s.wantNot)
		}
	}
}

func TestHumanLag(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "up to date", 0: "up to date", 1400 * time.Millisecond: "1s behind", 59 * time.Second: "59s behind",
		time.Minute: "1m00s behind", 23*time.Hour + 59*time.Minute: "23h59m behind", 24 * time.Hour: "> 1 day behind",
		10 * 365 * 24 * time.Hour: "> 1 day behind",
	} {
		if got := humanLag(d); got != want {
			t.Errorf("humanLag(%s) = %q, want %q", d, got, want)
		}
	}
}
