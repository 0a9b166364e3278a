package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/beamlens/beamlens/internal/badinput"
	"github.com/beamlens/beamlens/models/events"
)

// TestHostileInputEndsInExactlyOnePlace runs each pipeline, as a user would,
// over the hostile corpus of testdata/bad plus a 2 MiB and a 10 MiB line:
// every hostile line is one dead letter with its reason, every good record
// comes out once and untouched, and records in = outputs + dead letters.
func TestHostileInputEndsInExactlyOnePlace(t *testing.T) {
	for _, p := range []struct {
		corpus, output, idField string
		args                    []string
	}{
		{"sensors", "anomalies.jsonl", "device_id", []string{"anomalies", "--detectors=threshold", "--threshold=100"}},
		{"reviews", "reviews_with_themes.jsonl", "review_id", []string{"themes", "--llm=offline"}},
	} {
		t.Run(p.corpus, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, p.corpus+".jsonl")
			cases := append(badinput.Cases(p.corpus), badinput.Huge(p.corpus)...)
			if err := badinput.Write(in, cases); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			code, _, stderr := runCLI(t, append(p.args, "--input="+in, "--output="+out)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			// The byte offset of each line is how dead letters name it.
			byOffset := map[int64]badinput.Case{}
			var off int64
			for _, c := range cases {
				byOffset[off] = c
				off += int64(len(c.Line)) + 1
			}
			n := badinput.Count(cases)

			dead := map[string]int{}
			for _, line := range readLines(t, filepath.Join(out, "deadletters.jsonl")) {
				var d struct {
					Error, Source string
					RawBytes      int64 `json:"raw_bytes"`
					Truncated     bool  `json:"raw_truncated"`
				}
				if err := json.Unmarshal(line, &d); err != nil {
					t.Fatalf("dead letter is not JSON: %v: %.200s", err, line)
				}
				at := strings.LastIndexByte(d.Source, '@')
				o, err := strconv.ParseInt(d.Source[at+1:], 10, 64)
				c, ok := byOffset[o]
				if at < 0 || err != nil || !ok {
					t.Errorf("dead letter source %q names no line of the corpus", d.Source)
					continue
				}
				dead[c.Name]++
				if c.Kind != badinput.Bad {
					t.Errorf("%s (%s) was dead-lettered: %s", c.Name, c.Kind, d.Error)
				} else if !strings.Contains(d.Error, c.Reason) {
					t.Errorf("%s: reason %q, want it to contain %q", c.Name, d.Error, c.Reason)
				}
				if d.RawBytes != int64(len(c.Line)) || d.Truncated != (len(c.Line) > events.MaxDeadLetterRaw) {
					t.Errorf("%s: raw_bytes %d truncated %v for a %d-byte line", c.Name, d.RawBytes, d.Truncated, len(c.Line))
				}
			}
			for _, c := range cases {
				if c.Kind == badinput.Bad && dead[c.Name] != 1 {
					t.Errorf("%s: %d dead letters, want exactly 1", c.Name, dead[c.Name])
				}
			}

			good := map[string][]byte{}
			for _, c := range cases {
				if c.Kind == badinput.Good {
					good[c.Name] = events.TrimRecord(c.Line)
				}
			}
			outputs := readLines(t, filepath.Join(out, p.output))
			seen := map[string]int{}
			for _, line := range outputs {
				var rec map[string]any
				if err := json.Unmarshal(line, &rec); err != nil {
					t.Fatalf("output is not JSON: %v: %.200s", err, line)
				}
				id, _ := rec[p.idField].(string)
				seen[id]++
				raw, ok := good[id]
				if !ok {
					t.Errorf("output for %q, which is no good record of the corpus", id)
					continue
				}
				// Untouched: the output starts with every byte of the record
				// as sent, its closing brace aside.
				if !bytes.HasPrefix(line, raw[:len(raw)-1]) {
					t.Errorf("%s changed on its way through:\n in  %s\n out %s", id, raw, line)
				}
			}
			for id := range good {
				if seen[id] != 1 {
					t.Errorf("good record %s came out %d times, want once", id, seen[id])
				}
			}
			if got, want := len(outputs)+len(readLines(t, filepath.Join(out, "deadletters.jsonl"))), n[badinput.Good]+n[badinput.Bad]; got != want {
				t.Errorf("outputs + dead letters = %d, records in = %d (%v)", got, want, n)
			}
		})
	}
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
