package events

import (
	"strconv"
	"time"
)

// ThemeCount is how many reviews mentioned a theme in one event-time window.
type ThemeCount struct {
	Theme         string
	Count         int64
	WindowStartMs int64
	WindowEndMs   int64
	// Rank is the theme's place in its window by count (1 = most
	// mentioned); 0 when not ranked.
	Rank int
	// Late marks a late pane of a streaming count: the window again, with
	// the mentions that arrived after its on-time pane (accumulating: it
	// replaces the earlier panes). PaneIndex counts the window's panes from
	// 0 (on time).
	Late      bool
	PaneIndex int
}

// AppendJSON appends {"theme","count","window_start","window_end"} (and
// "rank" when ranked, "late":true and "pane_index" for a late pane), with
// the window bounds as RFC 3339 times.
func (c ThemeCount) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = c.appendFields(dst)
	return append(dst, '}')
}

func (c ThemeCount) appendFields(dst []byte) []byte {
	dst = append(dst, `"theme":`...)
	dst = AppendString(dst, c.Theme)
	dst = append(dst, `,"count":`...)
	dst = strconv.AppendInt(dst, c.Count, 10)
	dst = append(dst, `,"window_start":`...)
	dst = AppendString(dst, formatMs(c.WindowStartMs))
	dst = append(dst, `,"window_end":`...)
	dst = AppendString(dst, formatMs(c.WindowEndMs))
	if c.Rank > 0 {
		dst = append(dst, `,"rank":`...)
		dst = strconv.AppendInt(dst, int64(c.Rank), 10)
	}
	if c.Late {
		dst = append(dst, `,"late":true,"pane_index":`...)
		dst = strconv.AppendInt(dst, int64(c.PaneIndex), 10)
	}
	return dst
}

// ThemeAlert is a theme count well above its recent baseline.
type ThemeAlert struct {
	ThemeCount
	// Baseline is the expected count for the window.
	Baseline float64
	// Score measures how far Count is above Baseline.
	Score float64
}

// AppendJSON appends the theme count's fields plus "baseline" and "score".
func (a ThemeAlert) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = a.appendFields(dst)
	dst = append(dst, `,"baseline":`...)
	dst = AppendFloat(dst, a.Baseline)
	dst = append(dst, `,"score":`...)
	dst = AppendFloat(dst, a.Score)
	return append(dst, '}')
}

func formatMs(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }
