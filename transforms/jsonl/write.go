package jsonl

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
)

func init() {
	register.DoFn2x1[[]byte, func(*[]byte) bool, error](&writeFileFn{})
	register.Iter1[[]byte]()
	register.DoFn2x1[beam.EventTime, []byte, error](&stdoutFn{})
}

// Write writes every element of a PCollection<[]byte> (one JSON record, or
// several separated by '\n', without a final newline) as lines of the file
// at path, creating its
// directory. The file appears atomically when the collection is complete, and
// exists (empty) when the collection is. It is meant for bounded collections:
// the whole collection is gathered in the global window first.
func Write(s beam.Scope, path string, col beam.PCollection) {
	s = s.Scope("jsonl.Write")
	if path == "" {
		panic("jsonl.Write: empty path")
	}
	global := beam.WindowInto(s, window.NewGlobalWindows(), col)
	beam.ParDo0(s, &writeFileFn{Path: path}, beam.Impulse(s), beam.SideInput{Input: global})
}

// writeFileFn is driven by a single impulse and reads the records as a side
// input, so that an empty collection still yields its (empty) file.
type writeFileFn struct {
	Path string
}

func (fn *writeFileFn) ProcessElement(_ []byte, records func(*[]byte) bool) error {
	if err := os.MkdirAll(filepath.Dir(fn.Path), 0o755); err != nil {
		return fmt.Errorf("jsonl.Write: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(fn.Path), "."+filepath.Base(fn.Path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("jsonl.Write: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	w := bufio.NewWriterSize(tmp, 1<<20)
	var rec []byte
	for records(&rec) {
		w.Write(rec)
		if err := w.WriteByte('\n'); err != nil {
			tmp.Close()
			return fmt.Errorf("jsonl.Write %s: %w", fn.Path, err)
		}
		metrics.RecordsWritten.Add(float64(lineCount(rec)))
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("jsonl.Write %s: %w", fn.Path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("jsonl.Write %s: %w", fn.Path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("jsonl.Write: %w", err)
	}
	return os.Rename(tmp.Name(), fn.Path)
}

// WriteStdout writes every element of a PCollection<[]byte> as a line on the
// standard output of the worker process - the user's terminal with loopback
// workers (prism, direct, Flink LOOPBACK). Lines of concurrent bundles never
// interleave within a line.
func WriteStdout(s beam.Scope, col beam.PCollection) {
	s = s.Scope("jsonl.WriteStdout")
	beam.ParDo0(s, &stdoutFn{}, col)
}

var (
	stdoutMu      sync.Mutex
	stdoutLatency = metrics.EventToOutput.WithLabelValues("stdout")
)

type stdoutFn struct{}

func (fn *stdoutFn) ProcessElement(et beam.EventTime, rec []byte) error {
	line := make([]byte, 0, len(rec)+1)
	line = append(append(line, rec...), '\n')
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	if _, err := os.Stdout.Write(line); err != nil {
		return err
	}
	metrics.RecordsWritten.Add(float64(lineCount(rec)))
	metrics.ObserveEventTime(stdoutLatency, int64(et), time.Now())
	return nil
}

// lineCount is how many lines an element holds: a block of records
// (windowstats.MergePartialsJSON) holds one per '\n' plus the last.
func lineCount(rec []byte) int64 {
	return int64(bytes.Count(rec, []byte{'\n'})) + 1
}
