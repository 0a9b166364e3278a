package nab

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"
)

// Profile is a cost matrix: the weights of true positives, false negatives
// and false positives.
type Profile struct {
	TP float64 `json:"tpWeight"`
	FN float64 `json:"fnWeight"`
	FP float64 `json:"fpWeight"`
}

// Profiles are NAB's three profiles, by name, as in config/profiles.json.
var Profiles = map[string]Profile{
	"standard":           {TP: 1, FN: 1, FP: 0.11},
	"reward_low_FP_rate": {TP: 1, FN: 1, FP: 0.22},
	"reward_low_FN_rate": {TP: 1, FN: 2, FP: 0.11},
}

// ProfileNames lists the profiles in the order NAB reports them.
var ProfileNames = []string{"standard", "reward_low_FP_rate", "reward_low_FN_rate"}

// Window is one labelled anomaly window, both ends included.
type Window struct{ Start, End time.Time }

// timeLayouts are the forms timestamps take in NAB's data and label files.
var timeLayouts = []string{"2006-01-02 15:04:05.000000", "2006-01-02 15:04:05", time.RFC3339Nano}

// ParseTime reads a NAB timestamp.
func ParseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("nab: %q is not a timestamp", s)
}

// LoadWindows reads labels/combined_windows.json: windows by file, keyed
// like "realKnownCause/nyc_taxi.csv".
func LoadWindows(path string) (map[string][]Window, error) {
	var raw map[string][][2]string
	if err := readJSON(path, &raw); err != nil {
		return nil, err
	}
	out := make(map[string][]Window, len(raw))
	for file, ws := range raw {
		out[file] = []Window{} // a file with no anomaly still counts
		for _, w := range ws {
			s, err := ParseTime(w[0])
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, file, err)
			}
			e, err := ParseTime(w[1])
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, file, err)
			}
			out[file] = append(out[file], Window{Start: s, End: e})
		}
		sort.Slice(out[file], func(i, j int) bool { return out[file][i].Start.Before(out[file][j].Start) })
	}
	return out, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ScaledSigmoid is NAB's reward curve of a position relative to a window's
// right edge: -1 is the left edge (reward ~0.987), 0 the right edge (0),
// positive positions are past the window (down to -1 from 3 on).
func ScaledSigmoid(pos float64) float64 {
	if pos >= 3 {
		return -1
	}
	return 2/(1+math.Exp(5*pos)) - 1
}

// Point is one scorable row of a series: its anomaly score, the weighted
// reward a detection there would earn, and the window it lies in (-1:
// none).
type Point struct {
	Score  float64
	Reward float64
	Window int
}

// File is a series prepared for scoring under one profile.
type File struct {
	Name   string
	Points []Point // the rows after the probationary period
	// Windows is how many windows have a scorable row: each costs FN when
	// missed and earns up to TP when caught.
	Windows int
}

// ProbationaryRows is how many leading rows of a series of n rows are not
// scored: 15%, at most 750.
func ProbationaryRows(n int) int {
	return int(math.Min(math.Floor(0.15*float64(n)), 0.15*5000))
}

// Prepare computes the reward of each row of a series under profile p:
// inside a window, by its position from the window's left edge to its
// right; outside, by its distance past the previous window (-FP before the
// first). times and scores are the series' rows in order.
func Prepare(name string, times []time.Time, scores []float64, windows []Window, p Profile) (File, error) {
	if len(times) != len(scores) {
		return File{}, fmt.Errorf("nab: %s: %d timestamps, %d scores", name, len(times), len(scores))
	}
	index := make(map[int64]int, len(times))
	for i, t := range times {
		index[t.UnixNano()] = i
	}
	maxTP := ScaledSigmoid(-1)
	probation := ProbationaryRows(len(times))
	f := File{Name: name}
	// Each window's first and last row, found by exact timestamp as NAB
	// does; a window whose ends are not rows of the series is an error.
	type span struct{ left, right int }
	spans := make([]span, len(windows))
	for k, w := range windows {
		l, okL := index[w.Start.UnixNano()]
		r, okR := index[w.End.UnixNano()]
		if !okL || !okR {
			return File{}, fmt.Errorf("nab: %s: window %s..%s does not start and end on rows", name, w.Start, w.End)
		}
		spans[k] = span{l, r}
		if r >= probation {
			f.Windows++
		}
	}
	k := 0          // next window
	prevRight := -1 // right edge of the last window passed
	prevWidth := 0.0
	for i := range times {
		in := k < len(spans) && i >= spans[k].left && i <= spans[k].right
		var reward float64
		win := -1
		if in {
			width := float64(spans[k].right - spans[k].left + 1)
			pos := -float64(spans[k].right-i+1) / width
			reward = ScaledSigmoid(pos) * p.TP / maxTP
			win = k
		} else {
			pos := 3.0
			if prevRight >= 0 {
				pos = math.Abs(float64(prevRight-i)) / (prevWidth - 1)
			}
			reward = ScaledSigmoid(pos) * p.FP
		}
		if i >= probation {
			f.Points = append(f.Points, Point{Score: scores[i], Reward: reward, Window: win})
		}
		if in && i == spans[k].right {
			prevRight, prevWidth = i, float64(spans[k].right-spans[k].left+1)
			k++
		}
	}
	return f, nil
}

// Raw is a file's (or a corpus's) score at a threshold: every row whose
// anomaly score is at or above it is a detection.
func Raw(f File, threshold float64, p Profile) float64 {
	best := map[int]float64{}
	fp := 0.0
	for _, pt := range f.Points {
		if pt.Score < threshold {
			continue
		}
		if pt.Window < 0 {
			fp += pt.Reward
		} else if r, ok := best[pt.Window]; !ok || pt.Reward > r {
			best[pt.Window] = pt.Reward
		}
	}
	total := fp
	for _, r := range best {
		total += r
	}
	return total - float64(f.Windows-len(best))*p.FN
}

// Normalise maps a corpus's raw score to NAB's scale: 0 for the null
// detector (every window missed), 100 for a perfect one (every window
// caught at its left edge, no false positive).
func Normalise(raw float64, windows int, p Profile) float64 {
	null := -float64(windows) * p.FN
	perfect := float64(windows) * p.TP
	return 100 * (raw - null) / (perfect - null)
}

// Score is a corpus's NAB score at a threshold.
func Score(files []File, threshold float64, p Profile) float64 {
	raw, windows := 0.0, 0
	for _, f := range files {
		raw += Raw(f, threshold, p)
		windows += f.Windows
	}
	return Normalise(raw, windows, p)
}

// Optimise finds the threshold, one for the whole corpus, with the best
// score: it sweeps every distinct anomaly score from the highest down,
// updating the running total as each row becomes a detection.
func Optimise(files []File, p Profile) (threshold, score float64) {
	type ref struct {
		score, reward float64
		window        int // corpus-wide window id, -1 none
	}
	var rows []ref
	windows := 0
	for _, f := range files {
		for _, pt := range f.Points {
			w := -1
			if pt.Window >= 0 {
				w = windows + pt.Window
			}
			rows = append(rows, ref{pt.Score, pt.Reward, w})
		}
		windows += windowsSpanned(f)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].score > rows[j].score })
	total := 0.0
	for _, f := range files {
		total -= float64(f.Windows) * p.FN
	}
	counted := 0
	for _, f := range files {
		counted += f.Windows
	}
	best := map[int]float64{}
	bestT, bestRaw := math.Inf(1), total // above every score: nothing detected
	for i := 0; i < len(rows); {
		t := rows[i].score
		for ; i < len(rows) && rows[i].score == t; i++ {
			r := rows[i]
			if r.window < 0 {
				total += r.reward
				continue
			}
			old, ok := best[r.window]
			if !ok {
				total += r.reward + p.FN
				best[r.window] = r.reward
			} else if r.reward > old {
				total += r.reward - old
				best[r.window] = r.reward
			}
		}
		if total > bestRaw {
			bestT, bestRaw = t, total
		}
	}
	return bestT, Normalise(bestRaw, counted, p)
}

// windowsSpanned is how many window ids a file's points may use: its
// windows' indexes run over all of them, scorable or not.
func windowsSpanned(f File) int {
	n := f.Windows
	for _, pt := range f.Points {
		n = max(n, pt.Window+1)
	}
	return n
}
