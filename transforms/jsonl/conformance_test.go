package jsonl

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/internal/sourcetest"
)

// TestConformance runs the source conformance suite against JSON Lines
// files: each Add writes a new file in the stream's directory, and a read
// reads the directory's files.
func TestConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Source{
		New: func(t testing.TB) sourcetest.Stream { return &fileStream{dir: t.TempDir()} },
		NotApplicable: map[sourcetest.Case]string{
			sourcetest.UnboundedPickup: "Read matches its files when the pipeline is built and reads them to their end: " +
				"a file source has no live tail (follow a growing stream through Kafka or Pub/Sub)",
			sourcetest.Restart: "a file keeps no read position: every run reads the files whole again " +
				"(what BoundedRead checks; Redelivery checks that a rerun after a failure loses nothing)",
			sourcetest.Watermark: "a file read is bounded: its watermark moves once, to the end, when the read ends, " +
				"and event times come from the decoder (transforms/decode), not the read",
		},
	})
}

type fileStream struct {
	dir   string
	files int
}

func (st *fileStream) Add(t testing.TB, records [][]byte) {
	t.Helper()
	st.files++
	path := filepath.Join(st.dir, fmt.Sprintf("part-%03d.jsonl", st.files))
	if err := os.WriteFile(path, append(bytes.Join(records, []byte("\n")), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Read reads every file of the stream; a file read ends, whatever the mode.
func (st *fileStream) Read(s beam.Scope, _ sourcetest.ReadMode) beam.PCollection {
	return Read(s, filepath.Join(st.dir, "*.jsonl"))
}

// Settle has nothing to release: files are not leased.
func (st *fileStream) Settle(testing.TB) {}
