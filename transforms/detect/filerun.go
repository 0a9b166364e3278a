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
	s      byteStream
	device string
	path   string
	names  []string
	t, off int64
	src    []byte // the reading's source, built by source when stale
	stale  bool
	// bareSource leaves r.Source empty (source gives it until the next
	// reading): a reader that only compares sources, and those only on
	// ties, builds almost none.
	bareSource bool
	chunk      []byte // scratch for names
}

// byteStream is what a run is read from: a bufio.Reader over a spill file,
// or a sliceStream over a batch in memory. Peek lets next decode a
// reading from the buffered bytes in one go; the byte-at-a-time reads are
// for what the fast path leaves (a new metric name, a reading across the
// buffer's end).
type byteStream interface {
	io.Reader
	io.ByteReader
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
}

// sliceStream is a byteStream over a byte slice.
type sliceStream struct{ b []byte }

func (s *sliceStream) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

func (s *sliceStream) ReadByte() (byte, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c, nil
}

func (s *sliceStream) Peek(n int) ([]byte, error) {
	if n > len(s.b) {
		return s.b, io.EOF
	}
	return s.b[:n], nil
}

func (s *sliceStream) Discard(n int) (int, error) {
	n = min(n, len(s.b))
	s.b = s.b[n:]
	return n, nil
}

// newRunReader starts reading the batch from s, which must be positioned at
// its version byte and end where the batch ends.
func newRunReader(device string, s byteStream) (*runReader, error) {
	rr := &runReader{s: s, device: device}
	v, err := s.ReadByte()
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
	n, err := binary.ReadUvarint(rr.s)
	if err != nil || n > 1<<20 {
		return nil, errCorrupt
	}
	rr.chunk = slices.Grow(rr.chunk[:0], int(n))[:n]
	if _, err := io.ReadFull(rr.s, rr.chunk); err != nil {
		return nil, errCorrupt
	}
	return rr.chunk, nil
}

// runPeek is how many bytes next looks at for its fast path: a reading of
// four metrics is ~40.
const runPeek = 256

// next decodes the next reading into r (reusing r.Metrics' room) and
// returns its line's offset; io.EOF at the batch's end. r.Source is set
// to PATH@OFFSET, as DecodeBatch names it, unless the reader is
// bareSource.
func (rr *runReader) next(r *events.Reading) (int64, error) {
	// The fast path decodes from the stream's buffer and goes back to the
	// byte-at-a-time path, which re-reads from the same place, for
	// anything it does not take: varint calls through the io.ByteReader
	// interface were ~8% of the default detectors' CPU.
	if p, _ := rr.s.Peek(runPeek); len(p) > 0 {
		if n := rr.decodeBuffered(p, r); n > 0 {
			rr.s.Discard(n)
			return rr.finish(r), nil
		}
	}
	dt, err := binary.ReadVarint(rr.s)
	if errors.Is(err, io.EOF) {
		return 0, io.EOF
	}
	if err != nil {
		return 0, errCorrupt
	}
	doff, err := binary.ReadVarint(rr.s)
	if err != nil {
		return 0, errCorrupt
	}
	nm, err := binary.ReadUvarint(rr.s)
	if err != nil {
		return 0, errCorrupt
	}
	// The count is not trusted to size the slice (corrupt bytes could ask
	// for any size), nor capped (a reading may have any number of metrics
	// that fit its line): the slice grows with the metrics actually read,
	// each at least 9 bytes of the run.
	r.Metrics = r.Metrics[:0]
	var bits [8]byte
	for range nm {
		ref, err := binary.ReadUvarint(rr.s)
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
		if _, err := io.ReadFull(rr.s, bits[:]); err != nil {
			return 0, errCorrupt
		}
		r.Metrics = append(r.Metrics, events.Metric{Name: rr.names[i], Value: math.Float64frombits(binary.LittleEndian.Uint64(bits[:]))})
	}
	rr.t += dt
	rr.off += doff
	return rr.finish(r), nil
}

// decodeBuffered decodes the next reading from p, the stream's next bytes,
// into r and rr's position, and returns how many bytes it took; 0 when p
// does not hold the whole reading, or the reading names a new metric or is
// corrupt (next's byte-at-a-time path decodes it, or says why not). rr is
// unchanged when it returns 0.
func (rr *runReader) decodeBuffered(p []byte, r *events.Reading) int {
	dt, a := binary.Varint(p)
	if a <= 0 {
		return 0
	}
	doff, b := binary.Varint(p[a:])
	if b <= 0 {
		return 0
	}
	n := a + b
	nm, c := binary.Uvarint(p[n:])
	if c <= 0 || nm > uint64(len(p)) {
		return 0
	}
	n += c
	r.Metrics = slices.Grow(r.Metrics[:0], int(nm))[:nm]
	for j := range r.Metrics {
		ref, d := binary.Uvarint(p[n:])
		if d <= 0 || ref&1 == 1 || ref>>1 >= uint64(len(rr.names)) || n+d+8 > len(p) {
			return 0
		}
		n += d
		r.Metrics[j] = events.Metric{Name: rr.names[ref>>1], Value: math.Float64frombits(binary.LittleEndian.Uint64(p[n:]))}
		n += 8
	}
	rr.t += dt
	rr.off += doff
	return n
}

// finish fills in what every reading of the run shares, and returns its
// line's offset.
func (rr *runReader) finish(r *events.Reading) int64 {
	r.DeviceID, r.EventTimeMs, r.Raw = rr.device, rr.t, nil
	rr.stale = true
	r.Source = ""
	if !rr.bareSource {
		r.Source = string(rr.source())
	}
	return rr.off
}

// source returns the current reading's source, PATH@OFFSET, valid until the
// next reading.
func (rr *runReader) source() []byte {
	if rr.stale {
		rr.src = strconv.AppendInt(append(append(rr.src[:0], rr.path...), '@'), rr.off, 10)
		rr.stale = false
	}
	return rr.src
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
	rr, err := newRunReader("", &sliceStream{b})
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
	rr, err := newRunReader("", &sliceStream{b})
	if err != nil {
		return false, err
	}
	rr.bareSource = true
	var r events.Reading
	var prevT, prevOff int64
	var prevSrc []byte
	for n := 0; ; n++ {
		off, err := rr.next(&r)
		if err == io.EOF {
			return true, nil
		} else if err != nil {
			return false, err
		}
		// Sources are compared, so built, only on a tie in event time.
		if n > 0 && r.EventTimeMs <= prevT {
			prevSrc = strconv.AppendInt(append(append(prevSrc[:0], rr.path...), '@'), prevOff, 10)
			if positionLess(r.EventTimeMs, rr.source(), prevT, prevSrc) {
				return false, nil
			}
		}
		prevT, prevOff = r.EventTimeMs, off
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
