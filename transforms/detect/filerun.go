package detect

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/beamlens/beamlens/models/events"
)

// A run is a batch in the file layout (fileBatchVersion) read one reading
// at a time from any byte stream, so that the spilled scorer can merge a
// device's batches from files holding a few KiB of each in memory rather
// than the batches whole.

// runReader decodes one file-layout batch reading by reading. Not safe for
// concurrent use.
type runReader struct {
	br     io.ByteReader
	r      io.Reader
	device string
	path   string
	names  []string
	t, off int64
	src    []byte // scratch for the reading's Source
	// bareSource leaves r.Source empty (the source is in src until the
	// next reading): a reader that only compares sources allocates none.
	bareSource bool
	chunk      []byte // scratch for names
}

// newRunReader starts reading the batch from r, which must be positioned at
// its version byte and end where the batch ends.
func newRunReader(device string, r interface {
	io.Reader
	io.ByteReader
}) (*runReader, error) {
	rr := &runReader{br: r, r: r, device: device}
	v, err := r.ReadByte()
	if err != nil || v != fileBatchVersion {
		return nil, errCorrupt
	}
	p, err := rr.readChunk()
	if err != nil {
		return nil, err
	}
	rr.path = string(p)
	return rr, nil
}

func (rr *runReader) readChunk() ([]byte, error) {
	n, err := binary.ReadUvarint(rr.br)
	if err != nil || n > 1<<20 {
		return nil, errCorrupt
	}
	rr.chunk = slices.Grow(rr.chunk[:0], int(n))[:n]
	if _, err := io.ReadFull(rr.r, rr.chunk); err != nil {
		return nil, errCorrupt
	}
	return rr.chunk, nil
}

// next decodes the next reading into r (reusing r.Metrics' room) and
// returns its line's offset; io.EOF at the batch's end. r.Source is set
// to PATH@OFFSET, as DecodeBatch names it.
func (rr *runReader) next(r *events.Reading) (int64, error) {
	dt, err := binary.ReadVarint(rr.br)
	if errors.Is(err, io.EOF) {
		return 0, io.EOF
	}
	if err != nil {
		return 0, errCorrupt
	}
	doff, err := binary.ReadVarint(rr.br)
	if err != nil {
		return 0, errCorrupt
	}
	rr.t += dt
	rr.off += doff
	nm, err := binary.ReadUvarint(rr.br)
	if err != nil || nm > 1<<16 {
		return 0, errCorrupt
	}
	r.DeviceID, r.EventTimeMs, r.Raw = rr.device, rr.t, nil
	r.Metrics = slices.Grow(r.Metrics[:0], int(nm))[:nm]
	var bits [8]byte
	for j := range r.Metrics {
		ref, err := binary.ReadUvarint(rr.br)
		if err != nil {
			return 0, errCorrupt
		}
		i := int(ref >> 1)
		if ref&1 == 1 {
			if i != len(rr.names) {
				return 0, errCorrupt
			}
			name, err := rr.readChunk()
			if err != nil {
				return 0, err
			}
			rr.names = append(rr.names, string(name))
		}
		if i >= len(rr.names) {
			return 0, errCorrupt
		}
		if _, err := io.ReadFull(rr.r, bits[:]); err != nil {
			return 0, errCorrupt
		}
		r.Metrics[j] = events.Metric{Name: rr.names[i], Value: math.Float64frombits(binary.LittleEndian.Uint64(bits[:]))}
	}
	rr.src = strconv.AppendInt(append(append(rr.src[:0], rr.path...), '@'), rr.off, 10)
	r.Source = ""
	if !rr.bareSource {
		r.Source = string(rr.src)
	}
	return rr.off, nil
}

// sortFileBatch returns b, a batch in the file layout, with its readings
// in sortReadings' order (event time, then source): as is when they are in
// order already (a device's lines mostly are), else re-encoded. An
// unsorted batch is read twice, up to its first reading out of order and
// then whole: the price of allocating nothing for the sorted ones.
func sortFileBatch(b []byte) ([]byte, error) {
	if sorted, err := fileBatchSorted(b); err != nil || sorted {
		return b, err
	}
	rr, err := newRunReader("", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var rs []events.Reading
	var offs []int64
	for {
		var r events.Reading
		off, err := rr.next(&r)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		rs, offs = append(rs, r), append(offs, off)
	}
	idx := make([]int, len(rs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		switch {
		case readingLess(&rs[i], &rs[j]):
			return -1
		case readingLess(&rs[j], &rs[i]):
			return 1
		}
		return 0
	})
	fb := NewFileBatch(rr.path)
	for _, i := range idx {
		fb.Add(&rs[i], offs[i])
	}
	return fb.Bytes(), nil
}

// fileBatchSorted reports whether b's readings are in sortReadings' order
// already, as a device's lines mostly are. It reads them through one
// reused Reading and compares each one's (event time, source) with the
// previous one's, so the common case allocates nothing per reading
// (keeping every reading to sort them had been ~40% of sortFileBatch).
func fileBatchSorted(b []byte) (bool, error) {
	rr, err := newRunReader("", bytes.NewReader(b))
	if err != nil {
		return false, err
	}
	rr.bareSource = true
	var r events.Reading
	var prevT int64
	var prevSrc []byte
	for n := 0; ; n++ {
		if _, err := rr.next(&r); err == io.EOF {
			return true, nil
		} else if err != nil {
			return false, err
		}
		if n > 0 && positionLess(r.EventTimeMs, rr.src, prevT, prevSrc) {
			return false, nil
		}
		prevT, prevSrc = r.EventTimeMs, append(prevSrc[:0], rr.src...)
	}
}

// positionLess is readingLess on a run's bytes of the sources: (event
// time, source) of one reading before the other's. Runs read bareSource
// compare with it and make no source strings.
func positionLess(at int64, asrc []byte, bt int64, bsrc []byte) bool {
	if at != bt {
		return at < bt
	}
	return bytes.Compare(asrc, bsrc) < 0
}

// readingLess is sortReadings' order: event time, then source.
func readingLess(a, b *events.Reading) bool {
	if a.EventTimeMs != b.EventTimeMs {
		return a.EventTimeMs < b.EventTimeMs
	}
	return a.Source < b.Source
}

// newBufferedRun reads the run in sr through a buffer of at most 4 KiB:
// a device's runs are merged at once, so this is its memory per run.
func newBufferedRun(device string, sr *io.SectionReader) (*runReader, error) {
	return newRunReader(device, bufio.NewReaderSize(sr, int(max(min(sr.Size(), 4096), 16))))
}
