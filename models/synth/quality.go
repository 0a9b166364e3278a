package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// SettleReadings is how many readings after a level shift ends still count
// as its anomaly: the step back down is a change too.
const SettleReadings = 10

// Quality is how well a detector's flags match a labelled sensor stream.
//
// Recall counts events: each spike, and each level shift as a whole (found
// when any of its readings is flagged). Precision counts flagged readings:
// one is right when it is a spike, lies in a level shift or a drift, or in
// the SettleReadings after a level shift ends.
type Quality struct {
	Events, EventsFound     int
	Flagged, FlaggedCorrect int
	Precision, Recall       float64
}

func (q Quality) String() string {
	return fmt.Sprintf("precision %.3f (%d of %d flagged readings), recall %.3f (%d of %d spikes and level shifts)",
		q.Precision, q.FlaggedCorrect, q.Flagged, q.Recall, q.EventsFound, q.Events)
}

// EvaluateSensors scores flagged (reading ids, e.g. "r-17") against the
// lines and labels Sensors wrote. Malformed lines are ignored.
func EvaluateSensors(lines [][]byte, labels []SensorLabel, flagged map[string]bool) (Quality, error) {
	if len(lines) != len(labels) {
		return Quality{}, fmt.Errorf("%d lines but %d labels", len(lines), len(labels))
	}
	type point struct {
		id   string
		kind string
	}
	// Readings per device in generation order (reading ids count up).
	byDevice := map[string][]point{}
	order := map[string][]int{}
	for i, l := range labels {
		if l.Kind == KindMalformed {
			continue
		}
		var rec struct {
			ID string `json:"reading_id"`
		}
		if err := json.NewDecoder(bytes.NewReader(lines[i])).Decode(&rec); err != nil || rec.ID == "" {
			return Quality{}, fmt.Errorf("line %d: no reading_id", l.Line)
		}
		var n int
		fmt.Sscanf(rec.ID, "r-%d", &n)
		byDevice[l.DeviceID] = append(byDevice[l.DeviceID], point{rec.ID, l.Kind})
		order[l.DeviceID] = append(order[l.DeviceID], n)
	}
	var q Quality
	for dev, ps := range byDevice {
		sortByOrder(ps, order[dev])
		settle := 0
		inShift, shiftFound := false, false
		for _, p := range ps {
			isFlagged := flagged[p.id]
			shift := p.kind == KindLevelShift || (inShift && p.kind == KindSpike)
			switch {
			case shift && !inShift:
				inShift, shiftFound = true, false
				q.Events++
			case !shift && inShift:
				inShift, settle = false, SettleReadings
			}
			if p.kind == KindSpike {
				q.Events++
				if isFlagged {
					q.EventsFound++
				}
			}
			if inShift && isFlagged && !shiftFound {
				shiftFound = true
				q.EventsFound++
			}
			if isFlagged {
				q.Flagged++
				if p.kind != KindNormal || inShift || settle > 0 {
					q.FlaggedCorrect++
				}
			}
			if !inShift && settle > 0 {
				settle--
			}
		}
	}
	q.Precision, q.Recall = ratio(q.FlaggedCorrect, q.Flagged), ratio(q.EventsFound, q.Events)
	return q, nil
}

func sortByOrder[T any](ps []T, order []int) {
	idx := make([]int, len(ps))
	for i := range idx {
		idx[i] = i
	}
	// insertion sort: the stream is almost in order already.
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && order[idx[j]] < order[idx[j-1]]; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	out := make([]T, len(ps))
	for i, k := range idx {
		out[i] = ps[k]
	}
	copy(ps, out)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}
