package events

import (
	"bytes"
	"strconv"

	"github.com/valyala/fastjson"
)

// Anomaly is a reading a detector flagged. Its JSON form is the reading's own
// fields, untouched, followed by "anomaly": true, detector, metric, score,
// threshold and baseline.
type Anomaly struct {
	Reading  Reading
	Detector string
	Metric   string
	// Score is what the detector compared with Threshold; an anomaly has
	// Score > Threshold.
	Score     float64
	Threshold float64
	// Severity is Score on one scale for every detector, in [0, 1]: 0.5
	// exactly at the detector's own threshold, m/(1+m) for a score m times
	// the threshold (twice it: 0.67; four times: 0.8). One alert threshold on
	// severity then means the same whatever detector raised the anomaly
	// (see detectors.Severity).
	Severity float64
	// Baseline describes what normal looked like when the reading was judged
	// (for a static threshold: its limit; for learned detectors: mean,
	// deviation, quantiles ...), as named numbers in a stable order.
	Baseline []Metric
}

// anomalyKeys are the fields an anomaly adds; a reading that already has one
// of them has it replaced so the output never holds a duplicate key.
var anomalyKeys = []string{"anomaly", "detector", "metric", "score", "threshold", "severity", "baseline"}

// AppendJSON appends the anomaly as one JSON object (no newline) to dst.
func (a Anomaly) AppendJSON(dst []byte) []byte {
	body := a.readingBody()
	dst = append(dst, '{')
	dst = append(dst, body...)
	if len(bytes.TrimSpace(body)) > 0 {
		dst = append(dst, ',')
	}
	dst = append(dst, `"anomaly":true,"detector":`...)
	dst = AppendString(dst, a.Detector)
	dst = append(dst, `,"metric":`...)
	dst = AppendString(dst, a.Metric)
	dst = append(dst, `,"score":`...)
	dst = AppendFloat(dst, a.Score)
	dst = append(dst, `,"threshold":`...)
	dst = AppendFloat(dst, a.Threshold)
	dst = append(dst, `,"severity":`...)
	dst = AppendFloat(dst, a.Severity)
	dst = append(dst, `,"baseline":`...)
	dst = appendMetricsObject(dst, a.Baseline)
	return append(dst, '}')
}

// readingBody returns the reading's fields without the enclosing braces. The
// fast path slices the raw bytes; only a reading that carries one of the
// anomaly's own keys is re-serialised without them.
func (a Anomaly) readingBody() []byte {
	raw := a.Reading.Raw
	if len(raw) < 2 {
		return nil
	}
	clash := false
	for _, k := range anomalyKeys {
		if bytes.Contains(raw, []byte(`"`+k+`"`)) {
			clash = true
			break
		}
	}
	if !clash {
		return raw[1 : len(raw)-1]
	}
	var p fastjson.Parser
	v, err := p.ParseBytes(raw)
	if err != nil {
		return raw[1 : len(raw)-1]
	}
	o, err := v.Object()
	if err != nil {
		return raw[1 : len(raw)-1]
	}
	for _, k := range anomalyKeys {
		o.Del(k)
	}
	b := v.MarshalTo(nil)
	return b[1 : len(b)-1]
}

// AppendFloat writes f in the shortest form that round-trips; non-finite
// values, which JSON cannot hold, become null.
func AppendFloat(dst []byte, f float64) []byte {
	if f != f || f > 1.7976931348623157e308 || f < -1.7976931348623157e308 {
		return append(dst, "null"...)
	}
	if out, ok := appendShortDecimal(dst, f); ok {
		return out // a sensor's value: no shortest-digits search
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

func appendMetricsObject(dst []byte, ms []Metric) []byte {
	dst = append(dst, '{')
	for i, m := range ms {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, m.Name)
		dst = append(dst, ':')
		dst = AppendFloat(dst, m.Value)
	}
	return append(dst, '}')
}
