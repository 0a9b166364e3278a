package badinput

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beamlens/beamlens/models/events"
)

var update = flag.Bool("update", false, "rewrite testdata/bad from the case tables")

const committed = "../../testdata/bad"

func TestCommittedCorpusIsCurrent(t *testing.T) {
	if *update {
		if err := WriteCorpus(committed); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	if err := WriteCorpus(tmp); err != nil {
		t.Fatal(err)
	}
	for _, p := range Pipelines {
		for _, name := range []string{p + ".jsonl", p + ".cases.tsv"} {
			want, _ := os.ReadFile(filepath.Join(tmp, name))
			got, err := os.ReadFile(filepath.Join(committed, name))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("testdata/bad/%s is stale or missing (%v); run: go test ./internal/badinput -update", name, err)
			}
		}
	}
}

func TestCorpusSize(t *testing.T) {
	for _, p := range Pipelines {
		n := Count(append(Cases(p), Huge(p)...))
		if n[Bad] < 60 {
			t.Errorf("%s: %d hostile cases, want at least 60", p, n[Bad])
		}
		if n[Good] <= n[Bad] || n[Blank] == 0 {
			t.Errorf("%s: %v: every hostile case needs good records around it, and blank lines must be covered", p, n)
		}
	}
}

// TestDecodersJudgeEveryCase checks each case at the decoder, where the
// reasons come from; the pipeline tests check the same cases end to end.
func TestDecodersJudgeEveryCase(t *testing.T) {
	opts := events.DecodeOptions{NowMs: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()}
	for _, p := range Pipelines {
		rd := &events.ReadingDecoder{Options: opts}
		vd := &events.ReviewDecoder{Options: opts}
		decode := func(b []byte) (string, []byte, error) {
			if p == "sensors" {
				r, err := rd.Decode(b)
				return r.DeviceID, r.Raw, err
			}
			r, err := vd.Decode(b)
			return r.ReviewID, r.Raw, err
		}
		for _, c := range append(Cases(p), Huge(p)...) {
			id, raw, err := decode(c.Line)
			switch c.Kind {
			case Blank:
				if len(events.TrimRecord(c.Line)) != 0 {
					t.Errorf("%s/%s: %q is not blank after trimming", p, c.Name, c.Line)
				}
			case Good:
				if err != nil {
					t.Errorf("%s/%s: rejected a good record: %v", p, c.Name, err)
				} else if !IsGoodID(id) || !bytes.Equal(raw, events.TrimRecord(c.Line)) {
					t.Errorf("%s/%s: id %q raw %q: not the record as sent", p, c.Name, id, raw)
				}
			case Bad:
				if err == nil {
					t.Errorf("%s/%s: accepted hostile input %.120q as id %q", p, c.Name, c.Line, id)
				} else if !strings.Contains(err.Error(), c.Reason) {
					t.Errorf("%s/%s: reason %q, want it to contain %q", p, c.Name, err, c.Reason)
				}
			}
		}
	}
}
