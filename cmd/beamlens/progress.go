package main

import (
	"fmt"
	"time"
)

// progress formats the line a running job prints every progressEvery. The
// rate is over the last interval, not the whole run, so that a stream that
// slowed down or stopped says so; a job that read nothing in the interval
// says "idle".
type progress struct {
	runner             string
	start, lastAt      time.Time
	baseRead, lastRead int64
	baseWritten        int64
}

// newProgress starts the report of a job on runner. The record counters
// are the process's (recordsRead, recordsWritten): read and written are
// their values when the job starts, so that a second job in the same
// process (the demo runs two) counts only its own.
func newProgress(runner string, start time.Time, read, written int64) *progress {
	return &progress{runner: runner, start: start, lastAt: start, baseRead: read, lastRead: read, baseWritten: written}
}

// line reports the process's counts at now and starts the next interval.
// lag is the watermark lag of the unbounded reads, when hasLag.
func (p *progress) line(now time.Time, read, written int64, lag time.Duration, hasLag bool) string {
	interval := now.Sub(p.lastAt)
	rate := "idle"
	if d := read - p.lastRead; d > 0 && interval > 0 {
		rate = fmt.Sprintf("%.0f/s over the last %s", float64(d)/interval.Seconds(), interval.Round(time.Second))
	}
	p.lastAt, p.lastRead = now, read
	s := fmt.Sprintf("beamlens: running on %s for %s: %d records read (%s), %d written",
		p.runner, now.Sub(p.start).Round(time.Second), read-p.baseRead, rate, written-p.baseWritten)
	if hasLag {
		s += ", watermark " + humanLag(lag)
	}
	return s
}

// humanLag says how far a watermark trails the clock, in the largest units
// that matter, capped at a day: a replay of old records trails by years,
// and "16754h7m22s" helps nobody.
func humanLag(d time.Duration) string {
	switch {
	case d <= 0:
		return "up to date"
	case d >= 24*time.Hour:
		return "> 1 day behind"
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm behind", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds behind", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%ds behind", int(d.Round(time.Second).Seconds()))
}
