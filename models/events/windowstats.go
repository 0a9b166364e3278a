package events

import (
	"math"
	"strconv"
)

func sqrt(v float64) float64 { return math.Sqrt(math.Max(v, 0)) }

// WindowStats summarises one metric of one device over one event-time
// window: the monitoring stream ("the average over the last 30 minutes,
// without starting from scratch").
type WindowStats struct {
	DeviceID      string
	Metric        string
	WindowStartMs int64
	WindowEndMs   int64
	Count         int64
	Mean          float64
	// Variance is the sample variance (n-1); 0 for a single value.
	Variance float64
	Min, Max float64
	// Quantiles are exact up to 128 values, then approximate (1% relative
	// accuracy), named "p50", ...
	Quantiles []Metric
	// Late marks a late pane: the window again, refined by readings that
	// arrived after its on-time pane (accumulating: it replaces the
	// earlier panes). PaneIndex counts the window's panes from 0 (on time).
	Late      bool
	PaneIndex int
}

// AppendJSON appends {"device_id","metric","window_start","window_end",
// "count","mean","variance","stddev","min","max", then each quantile, and
// for a late pane "late":true and "pane_index"}.
func (w WindowStats) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"device_id":`...)
	dst = AppendString(dst, w.DeviceID)
	dst = append(dst, `,"metric":`...)
	dst = AppendString(dst, w.Metric)
	dst = append(dst, `,"window_start":"`...)
	dst = AppendUTCMillis(dst, w.WindowStartMs)
	dst = append(dst, `","window_end":"`...)
	dst = AppendUTCMillis(dst, w.WindowEndMs)
	dst = append(dst, `","count":`...)
	dst = strconv.AppendInt(dst, w.Count, 10)
	// The names are constants with nothing to escape; 400k windows a
	// million readings make this the hottest formatting in the pipeline.
	dst = append(dst, `,"mean":`...)
	dst = AppendFloat(dst, w.Mean)
	dst = append(dst, `,"variance":`...)
	dst = AppendFloat(dst, w.Variance)
	dst = append(dst, `,"stddev":`...)
	dst = AppendFloat(dst, sqrt(w.Variance))
	dst = append(dst, `,"min":`...)
	dst = AppendFloat(dst, w.Min)
	dst = append(dst, `,"max":`...)
	dst = AppendFloat(dst, w.Max)
	for _, q := range w.Quantiles {
		dst = append(dst, ',')
		dst = AppendString(dst, q.Name)
		dst = append(dst, ':')
		dst = AppendFloat(dst, q.Value)
	}
	if w.Late {
		dst = append(dst, `,"late":true,"pane_index":`...)
		dst = strconv.AppendInt(dst, int64(w.PaneIndex), 10)
	}
	return append(dst, '}')
}
