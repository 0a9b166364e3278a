package jsonl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/models/events"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*events.Raw)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*Range)(nil)).Elem())
	register.DoFn3x1[context.Context, Range, func(events.Raw), error](&readRangeFn{})
	register.Emitter1[events.Raw]()
}

// DefaultRangeBytes is the size of the byte ranges a file is split into: big
// enough that per-range overhead is noise (a range takes a few hundred
// milliseconds), small enough that a 120 MB file makes four, which prism
// can split between two cores (transforms/fused explains how).
const DefaultRangeBytes = 32 << 20

// rangeBytes is DefaultRangeBytes, lowered by tests to exercise splitting.
var rangeBytes int64 = DefaultRangeBytes

// ErrNoMatch is returned when an input pattern matches no file.
var ErrNoMatch = errors.New("no file matches")

// Range is the unit of reading: the lines of Path that start in
// [Start, End). A Range is small and cheap to ship, so a stage that reads
// its lines itself (transforms/fused) takes PCollection<Range> instead of
// one element per line.
type Range struct {
	Path       string
	Start, End int64
}

// Match expands a path or glob into the sorted list of regular files it
// names. A pattern naming nothing is ErrNoMatch; a directory is an error.
func Match(pattern string) ([]string, error) {
	paths, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("bad pattern %q: %w", pattern, err)
	}
	if len(paths) == 0 {
		if _, statErr := os.Stat(pattern); statErr != nil {
			return nil, fmt.Errorf("%q: %w", pattern, ErrNoMatch)
		}
		paths = []string{pattern}
	}
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			return nil, fmt.Errorf("%q is a directory; name the files (e.g. %s)", p, filepath.Join(p, "*.jsonl"))
		}
		files = append(files, p)
	}
	sort.Strings(files)
	return files, nil
}

// Read reads the files a path or glob names. It panics when the pattern is
// bad or matches nothing (construction-time misuse); call Match first to turn
// that into an error for the user. Returns PCollection<events.Raw>.
func Read(s beam.Scope, pattern string) beam.PCollection {
	s = s.Scope("jsonl.Read")
	return beam.ParDo(s, &readRangeFn{}, Ranges(s, pattern))
}

// Ranges splits the files a path or glob names into byte ranges of at most
// DefaultRangeBytes and returns them as PCollection<Range>, spread over the
// workers. It panics like Read.
func Ranges(s beam.Scope, pattern string) beam.PCollection {
	return RangesOf(s, pattern, rangeBytes)
}

// RangesOf is Ranges with ranges of at most size bytes (DefaultRangeBytes
// when size <= 0).
func RangesOf(s beam.Scope, pattern string, size int64) beam.PCollection {
	s = s.Scope("jsonl.Ranges")
	if size <= 0 {
		size = rangeBytes
	}
	files, err := Match(pattern)
	if err != nil {
		panic(fmt.Sprintf("jsonl.Ranges: %v", err))
	}
	var ranges []any
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			panic(fmt.Sprintf("jsonl.Ranges: %v", err))
		}
		for _, r := range splitRanges(f, st.Size(), size) {
			ranges = append(ranges, r)
		}
	}
	rs := beam.Create(s, ranges...)
	// Reshuffle so the ranges spread over workers instead of running in the
	// one bundle that Create makes.
	return beam.Reshuffle(s, rs)
}

func splitRanges(path string, size, step int64) []Range {
	if size <= step {
		return []Range{{Path: path, Start: 0, End: max(size, 1)}}
	}
	var out []Range
	for start := int64(0); start < size; start += step {
		out = append(out, Range{Path: path, Start: start, End: min(start+step, size)})
	}
	return out
}

// readRangeFn emits the lines that start inside its range. A line that
// crosses the range end belongs to this range; the next range skips it.
type readRangeFn struct{}

func (fn *readRangeFn) ProcessElement(ctx context.Context, r Range, emit func(events.Raw)) error {
	return ScanRange(ctx, r, func(l Line) {
		if rec, ok := toRaw(r.Path, l.Offset, l.Data, l.Length, l.Oversize); ok {
			metrics.RecordsRead.Inc()
			emit(rec)
		}
	})
}

// Line is one line of a Range as ScanRange hands it over.
type Line struct {
	// Offset is where the line starts in its file.
	Offset int64
	// Data is the line without its newline; for an oversize line only its
	// first events.MaxDeadLetterRaw bytes. It is only valid during the
	// callback: copy what you keep.
	Data []byte
	// Length is the line's full length in bytes, without its newline.
	Length int64
	// Oversize reports a line over events.MaxRecordBytes.
	Oversize bool
}

// ScanRange calls fn for every line that starts inside r, blank ones
// included, in file order. A line that crosses r's end belongs to r; the
// next range skips it. Errors are I/O errors (worth a retry) or ctx's.
func ScanRange(ctx context.Context, r Range, fn func(Line)) error {
	f, err := os.Open(r.Path)
	if err != nil {
		// The file was there when the pipeline was built; losing it now is
		// an I/O failure worth a retry, not bad data.
		return fmt.Errorf("jsonl.Read: %w", err)
	}
	defer f.Close()
	pos := r.Start
	if r.Start > 0 {
		// Start one byte early: if that byte is a newline the range starts
		// on a line boundary, otherwise skip the partial line.
		if _, err := f.Seek(r.Start-1, io.SeekStart); err != nil {
			return fmt.Errorf("jsonl.Read: %w", err)
		}
		pos = r.Start - 1
	}
	br := bufio.NewReaderSize(f, 256<<10)
	lr := lineReader{r: br, limit: events.MaxRecordBytes}
	if r.Start > 0 {
		n, err := lr.skipLine()
		pos += n
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("jsonl.Read %s: %w", r.Path, err)
		}
	}
	for n := 0; pos < r.End; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, size, length, oversize, err := lr.next()
		if err != nil && err != io.EOF {
			return fmt.Errorf("jsonl.Read %s: %w", r.Path, err)
		}
		if size > 0 {
			fn(Line{Offset: pos, Data: line, Length: length, Oversize: oversize})
		}
		pos += size
		if err == io.EOF {
			return nil
		}
	}
	return nil
}

func toRaw(path string, offset int64, line []byte, length int64, oversize bool) (events.Raw, bool) {
	src := fmt.Sprintf("%s@%d", path, offset)
	if oversize {
		data := make([]byte, len(line))
		copy(data, line)
		return events.Raw{Source: src, Data: data, Size: length,
			Problem: fmt.Sprintf("line is %d bytes, over the %d-byte limit", length, events.MaxRecordBytes)}, true
	}
	trimmed := events.TrimRecord(line)
	if len(trimmed) == 0 {
		return events.Raw{}, false // blank lines are skipped, by contract
	}
	data := make([]byte, len(line))
	copy(data, line)
	return events.Raw{Source: src, Data: data, Size: int64(len(line))}, true
}

// lineReader reads newline-terminated lines without ever holding more than
// limit bytes of one line.
type lineReader struct {
	r     *bufio.Reader
	limit int
	buf   []byte
}

// next returns the line without its newline, the bytes consumed (line plus
// newline), the line's length, and whether it was over the limit, in which
// case line holds only its first events.MaxDeadLetterRaw bytes. err is io.EOF
// after the last line.
func (l *lineReader) next() (line []byte, consumed, length int64, oversize bool, err error) {
	l.buf = l.buf[:0]
	for {
		chunk, err := l.r.ReadSlice('\n')
		consumed += int64(len(chunk))
		if !oversize {
			if len(l.buf)+len(chunk) > l.limit+2 { // +2: CRLF is not content
				oversize = true
				l.buf = append(l.buf, chunk...)
				l.buf = l.buf[:min(len(l.buf), events.MaxDeadLetterRaw)]
			} else {
				l.buf = append(l.buf, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil && err != io.EOF:
			return nil, consumed, 0, oversize, err
		}
		length = consumed
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			length--
		}
		return bytes.TrimSuffix(l.buf, []byte("\n")), consumed, length, oversize, err
	}
}

// skipLine consumes up to and including the next newline.
func (l *lineReader) skipLine() (int64, error) {
	var n int64
	for {
		chunk, err := l.r.ReadSlice('\n')
		n += int64(len(chunk))
		if err == bufio.ErrBufferFull {
			continue
		}
		return n, err
	}
}

// ReadLineAt returns a copy of the line that starts at offset in r, without
// its newline, as ScanRange handed it over as Line.Data: for stages that
// carried only a line's offset and need its bytes back (an anomaly's raw
// record). A line over events.MaxRecordBytes is an error: ScanRange never
// made a reading of one.
func ReadLineAt(r io.ReaderAt, offset int64) ([]byte, error) {
	lr := lineReader{r: bufio.NewReaderSize(io.NewSectionReader(r, offset, math.MaxInt64-offset), 4096), limit: events.MaxRecordBytes}
	line, size, _, oversize, err := lr.next()
	switch {
	case err != nil && err != io.EOF:
		return nil, err
	case size == 0:
		return nil, fmt.Errorf("no line at offset %d: %w", offset, io.ErrUnexpectedEOF)
	case oversize:
		return nil, fmt.Errorf("the line at offset %d is over %d bytes", offset, events.MaxRecordBytes)
	}
	return append([]byte(nil), line...), nil
}
