package fused

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/jsonl"
)

func init() {
	register.DoFn3x1[beam.EventTime, events.Anomaly, func(beam.EventTime, events.Anomaly), error](&restoreRawFn{})
}

// RestoreRaw gives back their raw records to anomalies scored from file
// batches (Options.FileBatches), which carry a line's offset but not its
// bytes: it takes PCollection<events.Anomaly> and returns it with every
// anomaly's Reading.Raw as the fused stage's decoder saw it, read again
// from the file (Source PATH@OFFSET). Anomalies that have their Raw pass
// through untouched. A line that cannot be read again (the file changed or
// went away while the job ran) fails the bundle with the path and offset:
// an anomaly is never written without its record.
func RestoreRaw(s beam.Scope, anomalies beam.PCollection, decode events.DecodeOptions) beam.PCollection {
	s = s.Scope("fused.RestoreRaw")
	return beam.ParDo(s, &restoreRawFn{Decode: decode}, anomalies)
}

// restoreRawFn reads each anomaly's line again; files stay open until
// Teardown (a job reads a handful of files, and anomalies come in bursts
// from the same one).
type restoreRawFn struct {
	Decode events.DecodeOptions
	dec    *events.ReadingDecoder
	files  map[string]*os.File
}

func (fn *restoreRawFn) Setup() {
	fn.dec = &events.ReadingDecoder{Options: fn.Decode}
	fn.files = map[string]*os.File{}
}

func (fn *restoreRawFn) ProcessElement(t beam.EventTime, a events.Anomaly, emit func(beam.EventTime, events.Anomaly)) error {
	if len(a.Reading.Raw) == 0 {
		raw, err := fn.line(a.Reading.Source)
		if err != nil {
			return fmt.Errorf("fused.RestoreRaw: %s: %w", a.Reading.Source, err)
		}
		a.Reading.Raw = raw
	}
	emit(t, a)
	return nil
}

// line reads the record at source (PATH@OFFSET) and returns its bytes as
// the decoder trims and unframes them.
func (fn *restoreRawFn) line(source string) ([]byte, error) {
	at := strings.LastIndexByte(source, '@')
	if at < 0 {
		return nil, fmt.Errorf("not a file line's source (PATH@OFFSET)")
	}
	path := source[:at]
	offset, err := strconv.ParseInt(source[at+1:], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("not a file line's source (PATH@OFFSET): %w", err)
	}
	f := fn.files[path]
	if f == nil {
		if f, err = os.Open(path); err != nil {
			return nil, err
		}
		fn.files[path] = f
	}
	data, err := jsonl.ReadLineAt(f, offset)
	if err != nil {
		return nil, err
	}
	r, err := fn.dec.DecodeShared(data)
	if err != nil {
		return nil, fmt.Errorf("the line no longer decodes (did the file change while the job ran?): %w", err)
	}
	return append([]byte(nil), r.Raw...), nil
}

func (fn *restoreRawFn) Teardown() {
	for path, f := range fn.files {
		f.Close()
		delete(fn.files, path)
	}
}
