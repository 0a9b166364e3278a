package view

import (
	"encoding/json"
	"math"
	"sort"
	"sync"
	"time"
)

// Limits on what the view keeps; totals are always exact.
const (
	maxPointsPerSeries = 600 // drawn points per device (stats or anomalies)
	maxDevicesDrawn    = 12  // devices with charts: the most anomalous
	maxRecent          = 200 // rows of the recent-anomalies table
	maxWindows         = 48  // theme windows kept (the newest)
	maxAlerts          = 100
	topThemes          = 5
)

// statPoint is one window of a device's statistics: its start, mean and a
// band of two standard deviations around it.
type statPoint struct {
	T    int64   `json:"t"`
	Mean float64 `json:"mean"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
	n    int     // windows folded into this point
}

// mergeStats folds two neighbouring points into one drawn point: it starts
// where a starts, its mean is the windows' mean, and its band is the
// envelope of both bands, so thinning never hides how far a device strayed.
func mergeStats(a, b statPoint) statPoint {
	na, nb := max(a.n, 1), max(b.n, 1)
	return statPoint{T: a.T, Mean: (a.Mean*float64(na) + b.Mean*float64(nb)) / float64(na+nb),
		Lo: min(a.Lo, b.Lo), Hi: max(a.Hi, b.Hi), n: na + nb}
}

// anomalyPoint is one flagged reading as drawn and listed.
type anomalyPoint struct {
	T        int64   `json:"t"`
	Device   string  `json:"device"`
	Metric   string  `json:"metric"`
	Value    float64 `json:"value"`
	Score    float64 `json:"score"`
	Detector string  `json:"detector"`
}

// mergeAnomalies keeps, of two neighbouring anomalies, the one that strayed
// furthest (the larger |score|; the earlier on a tie): a thinned chart
// still shows a bucket's worst reading.
func mergeAnomalies(a, b anomalyPoint) anomalyPoint {
	if math.Abs(b.Score) > math.Abs(a.Score) {
		return b
	}
	return a
}

type device struct {
	anomalies int
	// stats holds a series per metric; a chart shows one metric: the one
	// with the most anomalies (else temperature, else the first by name).
	stats    map[string]*series[statPoint]
	byMetric map[string]int
	flagged  map[string]*series[anomalyPoint] // per metric, so thinning one cannot drop another's
}

func (d *device) chartMetric() string {
	best, n := "", 0
	for m, c := range d.byMetric {
		if c > n || (c == n && m < best) {
			best, n = m, c
		}
	}
	if best != "" {
		return best
	}
	if _, ok := d.stats["temperature"]; ok {
		return "temperature"
	}
	for m := range d.stats {
		if best == "" || m < best {
			best = m
		}
	}
	return best
}

type themeWindow struct {
	Start  int64            `json:"start"`
	Counts map[string]int64 `json:"-"`
}

// state is everything the view shows, fed line by line from the streams.
type state struct {
	mu        sync.Mutex
	version   int64
	anomalies int64
	stats     int64
	bad       int64 // lines that were not the records expected
	devices   map[string]*device
	recent    newestByTime
	windows   map[int64]*themeWindow
	themeSum  map[string]int64
	mentions  int64
	alerts    ring[alertRow]
	alertsN   int64
}

// alertRow is one trend alert: as the pipeline wrote it, for the list, and
// its theme and window, to highlight it on the themes chart.
type alertRow struct {
	raw   json.RawMessage
	theme string
	start int64
}

func newState() *state {
	return &state{devices: map[string]*device{}, windows: map[int64]*themeWindow{}, themeSum: map[string]int64{},
		recent: newestByTime{max: maxRecent}, alerts: ring[alertRow]{max: maxAlerts}}
}

func (s *state) device(id string) *device {
	d, ok := s.devices[id]
	if !ok {
		d = &device{stats: map[string]*series[statPoint]{}, byMetric: map[string]int{}, flagged: map[string]*series[anomalyPoint]{}}
		s.devices[id] = d
	}
	return d
}

// eventMs reads a timestamp field: RFC 3339 or epoch milliseconds.
func eventMs(v any) (int64, bool) {
	switch t := v.(type) {
	case float64:
		return int64(t), true
	case string:
		p, err := time.Parse(time.RFC3339Nano, t)
		return p.UnixMilli(), err == nil
	}
	return 0, false
}

// addAnomaly takes one line of anomalies.jsonl.
func (s *state) addAnomaly(line []byte) {
	var m map[string]any
	if json.Unmarshal(line, &m) != nil {
		s.countBad()
		return
	}
	id, _ := m["device_id"].(string)
	metric, _ := m["metric"].(string)
	t, okT := eventMs(m["timestamp"])
	value, _ := m[metric].(float64)
	score, _ := m["score"].(float64)
	det, _ := m["detector"].(string)
	if id == "" || !okT {
		s.countBad()
		return
	}
	p := anomalyPoint{T: t, Device: id, Metric: metric, Value: value, Score: score, Detector: det}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	s.anomalies++
	d := s.device(id)
	d.anomalies++
	d.byMetric[metric]++
	f, ok := d.flagged[metric]
	if !ok {
		f = newSeries(maxPointsPerSeries, mergeAnomalies)
		d.flagged[metric] = f
	}
	f.add(p)
	s.recent.add(p)
}

// windowed is the window start every windowed record carries.
type windowed struct {
	WindowStart any `json:"window_start"`
}

// decodeWindowed decodes line into v, whose windowed part is w, and returns
// the window start; a line that does not decode, fails valid, or has no
// window start is counted as bad.
func (s *state) decodeWindowed(line []byte, v any, w *windowed, valid func() bool) (int64, bool) {
	if json.Unmarshal(line, v) != nil || !valid() {
		s.countBad()
		return 0, false
	}
	t, ok := eventMs(w.WindowStart)
	if !ok {
		s.countBad()
	}
	return t, ok
}

// addStats takes one line of window_stats.jsonl.
func (s *state) addStats(line []byte) {
	var w struct {
		windowed
		DeviceID string  `json:"device_id"`
		Metric   string  `json:"metric"`
		Mean     float64 `json:"mean"`
		StdDev   float64 `json:"stddev"`
	}
	t, ok := s.decodeWindowed(line, &w, &w.windowed, func() bool { return w.DeviceID != "" })
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	s.stats++
	d := s.device(w.DeviceID)
	ser, ok := d.stats[w.Metric]
	if !ok {
		ser = newSeries(maxPointsPerSeries, mergeStats)
		d.stats[w.Metric] = ser
	}
	ser.add(statPoint{T: t, Mean: w.Mean, Lo: w.Mean - 2*w.StdDev, Hi: w.Mean + 2*w.StdDev, n: 1})
}

// addThemeCount takes one line of theme_counts.jsonl.
func (s *state) addThemeCount(line []byte) {
	var c struct {
		windowed
		Theme string `json:"theme"`
		Count int64  `json:"count"`
	}
	t, ok := s.decodeWindowed(line, &c, &c.windowed, func() bool { return c.Theme != "" })
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	w, ok := s.windows[t]
	if !ok {
		w = &themeWindow{Start: t, Counts: map[string]int64{}}
		s.windows[t] = w
		s.dropOldWindows()
	}
	w.Counts[c.Theme] += c.Count
	s.themeSum[c.Theme] += c.Count
	s.mentions += c.Count
}

func (s *state) dropOldWindows() {
	if len(s.windows) <= maxWindows {
		return
	}
	oldest := int64(math.MaxInt64)
	for t := range s.windows {
		oldest = min(oldest, t)
	}
	delete(s.windows, oldest)
}

// addAlert takes one line of theme_alerts.jsonl.
func (s *state) addAlert(line []byte) {
	var a struct {
		windowed
		Theme string `json:"theme"`
	}
	t, ok := s.decodeWindowed(line, &a, &a.windowed, func() bool { return a.Theme != "" })
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	s.alertsN++
	s.alerts.add(alertRow{raw: append(json.RawMessage(nil), line...), theme: a.Theme, start: t})
}

func (s *state) countBad() {
	s.mu.Lock()
	s.bad++
	s.version++
	s.mu.Unlock()
}

// Snapshot is what the page draws: exact totals, and thinned points.
type Snapshot struct {
	Version      int64             `json:"version"`
	Anomalies    int64             `json:"anomalies"`
	Devices      int               `json:"devices"`
	StatsWindows int64             `json:"stats_windows"`
	BadLines     int64             `json:"bad_lines"`
	Charts       []DeviceChart     `json:"charts"`
	Recent       []anomalyPoint    `json:"recent"`
	TopThemes    []ThemeCount      `json:"top_themes"`
	Mentions     int64             `json:"mentions"`
	Windows      []WindowThemes    `json:"windows"`
	Alerts       []json.RawMessage `json:"alerts"`
	AlertsTotal  int64             `json:"alerts_total"`
	// Sources lists what the view follows, for a page with nothing to
	// show to say where it looked.
	Sources []SourceStatus `json:"sources"`
}

// DeviceChart is one device's drawn series, of one metric.
type DeviceChart struct {
	Device    string         `json:"device"`
	Metric    string         `json:"metric"`
	Anomalies int            `json:"anomalies"`
	Stats     []statPoint    `json:"stats"`
	Flagged   []anomalyPoint `json:"flagged"`
}

// ThemeCount is a theme and how often it was mentioned.
type ThemeCount struct {
	Theme string `json:"theme"`
	Count int64  `json:"count"`
}

// WindowThemes is one window's top themes, and the themes that raised a
// trend alert in it (among the alerts kept), to highlight.
type WindowThemes struct {
	Start  int64        `json:"start"`
	Top    []ThemeCount `json:"top"`
	Alerts []string     `json:"alerts,omitempty"`
}

func top(counts map[string]int64, n int) []ThemeCount {
	out := make([]ThemeCount, 0, len(counts))
	for t, c := range counts {
		out = append(out, ThemeCount{t, c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Theme < out[j].Theme
	})
	return out[:min(n, len(out))]
}

func (s *state) snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{Version: s.version, Anomalies: s.anomalies, Devices: len(s.devices), StatsWindows: s.stats,
		BadLines: s.bad, Recent: s.recent.newest(), TopThemes: top(s.themeSum, topThemes), Mentions: s.mentions,
		Alerts: []json.RawMessage{}, AlertsTotal: s.alertsN}
	alerted := map[int64][]string{}
	for _, a := range s.alerts.newest() {
		snap.Alerts = append(snap.Alerts, a.raw)
		alerted[a.start] = append(alerted[a.start], a.theme)
	}
	ids := make([]string, 0, len(s.devices))
	for id := range s.devices {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := s.devices[ids[i]], s.devices[ids[j]]
		if a.anomalies != b.anomalies {
			return a.anomalies > b.anomalies
		}
		return ids[i] < ids[j]
	})
	for _, id := range ids[:min(maxDevicesDrawn, len(ids))] {
		d := s.devices[id]
		m := d.chartMetric()
		c := DeviceChart{Device: id, Metric: m, Anomalies: d.anomalies, Stats: []statPoint{}, Flagged: []anomalyPoint{}}
		if ser, ok := d.stats[m]; ok {
			c.Stats = ser.points()
		}
		if f, ok := d.flagged[m]; ok {
			c.Flagged = f.points()
		}
		snap.Charts = append(snap.Charts, c)
	}
	for _, w := range s.windows {
		snap.Windows = append(snap.Windows, WindowThemes{Start: w.Start, Top: top(w.Counts, topThemes), Alerts: alerted[w.Start]})
	}
	sort.Slice(snap.Windows, func(i, j int) bool { return snap.Windows[i].Start < snap.Windows[j].Start })
	return snap
}
