package spill

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrCorruptRef is returned for a Ref that does not decode.
var ErrCorruptRef = errors.New("spill: corrupt reference")

// Writer appends values to one file in a directory, created at the first
// Append. A file is complete once Close returns: call it in FinishBundle,
// before any GroupByKey downstream hands the Refs on. Not safe for
// concurrent use; one per bundle.
type Writer struct {
	// Dir is the directory; Pattern names the file as os.CreateTemp does.
	Dir, Pattern string
	f            *os.File
	w            *bufio.Writer
	size         int64
}

// Append writes v and returns its Ref.
func (w *Writer) Append(v []byte) ([]byte, error) {
	if w.f == nil {
		f, err := os.CreateTemp(w.Dir, w.Pattern)
		if err != nil {
			return nil, fmt.Errorf("spill: %w", err)
		}
		w.f, w.w, w.size = f, bufio.NewWriterSize(f, 1<<20), 0
	}
	if _, err := w.w.Write(v); err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	ref := AppendRef(nil, w.f.Name(), w.size, int64(len(v)))
	w.size += int64(len(v))
	return ref, nil
}

// Close flushes and closes the current file, if any; the next Append
// starts another.
func (w *Writer) Close() error {
	if w.f == nil {
		return nil
	}
	err := w.w.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f, w.w = nil, nil
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	return nil
}

// AppendRef encodes where a value lies: its file, offset and length.
func AppendRef(b []byte, path string, off, n int64) []byte {
	b = binary.AppendUvarint(b, uint64(len(path)))
	b = append(b, path...)
	b = binary.AppendUvarint(b, uint64(off))
	return binary.AppendUvarint(b, uint64(n))
}

// ParseRef decodes a Ref written by AppendRef.
func ParseRef(ref []byte) (path string, off, n int64, err error) {
	l, k := binary.Uvarint(ref)
	if k <= 0 || l > uint64(len(ref)-k) {
		return "", 0, 0, ErrCorruptRef
	}
	path, ref = string(ref[k:k+int(l)]), ref[k+int(l):]
	o, k := binary.Uvarint(ref)
	if k <= 0 || o > 1<<62 {
		return "", 0, 0, ErrCorruptRef
	}
	ref = ref[k:]
	m, k := binary.Uvarint(ref)
	if k <= 0 || m > 1<<62 || k != len(ref) {
		return "", 0, 0, ErrCorruptRef
	}
	return path, int64(o), int64(m), nil
}

// Files reads spilled values back, keeping each file open until Close.
// Not safe for concurrent use.
type Files struct {
	open map[string]*os.File
}

// Section returns a reader of the value at ref.
func (fs *Files) Section(ref []byte) (*io.SectionReader, error) {
	path, off, n, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	f := fs.open[path]
	if f == nil {
		if f, err = os.Open(path); err != nil {
			return nil, fmt.Errorf("spill: %w", err)
		}
		if fs.open == nil {
			fs.open = map[string]*os.File{}
		}
		fs.open[path] = f
	}
	return io.NewSectionReader(f, off, n), nil
}

// Bytes reads the value at ref into a new slice.
func (fs *Files) Bytes(ref []byte) ([]byte, error) {
	sr, err := fs.Section(ref)
	if err != nil {
		return nil, err
	}
	b := make([]byte, sr.Size())
	if _, err := io.ReadFull(sr, b); err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	return b, nil
}

// Close closes every file opened.
func (fs *Files) Close() {
	for _, f := range fs.open {
		f.Close()
	}
	clear(fs.open)
}
