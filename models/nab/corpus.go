package nab

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Results is one detector's output for one file, in NAB's results format:
// a timestamp and an anomaly score in [0, 1] per row.
type Results struct {
	Times  []time.Time
	Values []float64
	Scores []float64
}

// ReadCSV reads a NAB data or results CSV: the timestamp and value columns,
// and the anomaly_score column when present.
func ReadCSV(path string) (Results, error) {
	f, err := os.Open(path)
	if err != nil {
		return Results{}, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return Results{}, fmt.Errorf("%s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	ti, okT := col["timestamp"]
	vi, okV := col["value"]
	if !okT || !okV {
		return Results{}, fmt.Errorf("%s: want timestamp and value columns, got %v", path, head)
	}
	si, hasScore := col["anomaly_score"]
	var out Results
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return Results{}, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		t, err := ParseTime(rec[ti])
		if err != nil {
			return Results{}, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		v, err := strconv.ParseFloat(rec[vi], 64)
		if err != nil {
			return Results{}, fmt.Errorf("%s:%d: value: %w", path, line, err)
		}
		out.Times = append(out.Times, t)
		out.Values = append(out.Values, v)
		if hasScore {
			s, err := strconv.ParseFloat(rec[si], 64)
			if err != nil {
				return Results{}, fmt.Errorf("%s:%d: anomaly_score: %w", path, line, err)
			}
			out.Scores = append(out.Scores, s)
		}
	}
}

// WriteResults writes a detector's output for one file in NAB's results
// format: timestamp,value,anomaly_score,label.
func WriteResults(path string, r Results, windows []Window) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"timestamp", "value", "anomaly_score", "label"})
	for i, t := range r.Times {
		label := "0"
		for _, win := range windows {
			if !t.Before(win.Start) && !t.After(win.End) {
				label = "1"
			}
		}
		w.Write([]string{t.Format("2006-01-02 15:04:05"), strconv.FormatFloat(r.Values[i], 'g', -1, 64),
			strconv.FormatFloat(r.Scores[i], 'g', -1, 64), label})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// FindCorpus finds the NAB corpus for tests and tools: $NAB_DIR, or
// ../shared/nab beside the module root above the working directory. ok is
// false when neither holds labels/combined_windows.json.
func FindCorpus() (dir string, ok bool) {
	if d := os.Getenv("NAB_DIR"); d != "" {
		return d, true
	}
	wd, _ := os.Getwd()
	for dir := wd; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(filepath.Dir(dir), "shared", "nab")
			if _, err := os.Stat(filepath.Join(d, "labels", "combined_windows.json")); err == nil {
				return d, true
			}
			break
		}
	}
	return "", false
}
