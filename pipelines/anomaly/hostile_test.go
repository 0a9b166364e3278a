package anomaly

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
)

// TestHostileFiles feeds a 5 MiB line, a binary file and an empty file, with
// good readings around them: the good ones come through, each bad one is a
// dead letter with a reason, nothing crashes.
func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	good := `{"device_id":"d1","timestamp":"2025-01-01T00:00:00Z","temperature":120,"reading_id":"ok-1"}`
	good2 := `{"device_id":"d1","timestamp":"2025-01-01T00:01:00Z","temperature":20,"reading_id":"ok-2"}`
	huge := `{"device_id":"d1","timestamp":0,"temperature":500,"pad":"` + strings.Repeat("x", 5<<20) + `"}`
	files := map[string]string{
		"1.jsonl": good + "\r\n" + huge + "\n" + good2 + "\n",
		"2.jsonl": "\x00\x01\xff\xfe binary \x89PNG\r\n\x1a\n\x00\x00",
		"3.jsonl": "",
	}
	for n, c := range files {
		os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644)
	}
	out := filepath.Join(dir, "out")
	p, s := beam.NewPipelineWithRoot()
	Build(s, config(t, filepath.Join(dir, "*.jsonl"), out))
	ptest.RunAndValidate(t, p)

	anomalies := anomalyIDs(t, filepath.Join(out, "anomalies.jsonl"))
	if strings.Join(anomalies, ",") != "ok-1" {
		t.Errorf("anomalies = %v, want [ok-1]", anomalies)
	}
	stages := map[string]int{}
	for _, line := range readLines(t, filepath.Join(out, "deadletters.jsonl")) {
		var d map[string]any
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatal(err)
		}
		stages[d["stage"].(string)]++
		if d["stage"] == "read" && (d["raw_truncated"] != true || d["raw_bytes"] != float64(len(huge))) {
			t.Errorf("oversize dead letter: truncated=%v bytes=%v", d["raw_truncated"], d["raw_bytes"])
		}
	}
	// The binary file holds three "lines" (it has two newline bytes).
	if stages["read"] != 1 || stages["decode"] != 3 {
		t.Errorf("dead letters by stage = %v, want read:1 decode:3", stages)
	}
}
