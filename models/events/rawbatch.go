package events

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// RawBatch is a run of records that a message source read at once, in the
// order it read them: one Kafka poll of one partition, one Pub/Sub pull.
// The sources emit batches, not records, so that a runner's per-element
// cost is paid once per batch; the stage that decodes them
// (transforms/fused) keeps records apart only where they must travel
// alone (docs/pipeline-shape.md). A batch's element timestamp is its
// earliest record's event time (Earliest), so that no record is behind the
// element that carries it.
type RawBatch struct {
	// Prefix starts every record's Source: "kafka://TOPIC/PARTITION@",
	// "pubsub://projects/P/subscriptions/S@".
	Prefix string
	// Offsets (Kafka) or IDs (Pub/Sub) end the records' Sources: a batch
	// fills one of the two, one entry per record.
	Offsets []int64
	IDs     []string
	// Times is each record's event time in Unix ms (its element timestamp
	// when the records travel alone, Raws).
	Times []int64
	// Data is each record. For a record the source rejected (Problems) it
	// holds at most MaxDeadLetterRaw bytes.
	Data [][]byte
	// Sizes is each record's full length in bytes.
	Sizes []int64
	// Problems is nil when the source rejected no record of the batch;
	// otherwise one entry per record, "" for the good ones (Raw.Problem).
	Problems []string
}

// Len is the number of records in b.
func (b *RawBatch) Len() int { return len(b.Times) }

// AddOffset appends a record named Prefix+offset (Kafka).
func (b *RawBatch) AddOffset(offset, ms int64, data []byte, size int64, problem string) {
	b.Offsets = append(b.Offsets, offset)
	b.add(ms, data, size, problem)
}

// AddID appends a record named Prefix+id (Pub/Sub).
func (b *RawBatch) AddID(id string, ms int64, data []byte, size int64, problem string) {
	b.IDs = append(b.IDs, id)
	b.add(ms, data, size, problem)
}

func (b *RawBatch) add(ms int64, data []byte, size int64, problem string) {
	if problem != "" && b.Problems == nil {
		b.Problems = make([]string, len(b.Times), cap(b.Times))
	}
	if b.Problems != nil {
		b.Problems = append(b.Problems, problem)
	}
	b.Times = append(b.Times, ms)
	b.Data = append(b.Data, data)
	b.Sizes = append(b.Sizes, size)
}

// Source names record i as Raw.Source does. Build it only when needed:
// most records are never named.
func (b *RawBatch) Source(i int) string {
	if b.IDs != nil {
		return b.Prefix + b.IDs[i]
	}
	return b.Prefix + strconv.FormatInt(b.Offsets[i], 10)
}

// Problem is why the source rejected record i, "" when it did not.
func (b *RawBatch) Problem(i int) string {
	if b.Problems == nil {
		return ""
	}
	return b.Problems[i]
}

// Raw returns record i as it travels alone.
func (b *RawBatch) Raw(i int) Raw {
	return Raw{Source: b.Source(i), Data: b.Data[i], Size: b.Sizes[i], Problem: b.Problem(i)}
}

// Earliest is the earliest event time in b, in Unix ms: its element
// timestamp. An empty batch has none and is never emitted.
func (b *RawBatch) Earliest() int64 {
	first := b.Times[0]
	for _, t := range b.Times[1:] {
		first = min(first, t)
	}
	return first
}

// Layout of an encoded batch: flags, Prefix, the record count, then per
// record its time (a delta from the previous, zig-zag), its offset (a
// delta) or ID, size, data and, with flagProblems, problem. Deltas keep a
// poll's nearly sorted times and consecutive offsets to a byte or two.
const (
	flagIDs = 1 << iota
	flagProblems
)

// ErrBadRawBatch is returned by DecodeRawBatch for bytes AppendBinary did
// not write.
var ErrBadRawBatch = errors.New("events: malformed raw batch")

// AppendBinary appends b's encoding to buf.
func (b *RawBatch) AppendBinary(buf []byte) []byte {
	var flags uint64
	if b.IDs != nil {
		flags |= flagIDs
	}
	if b.Problems != nil {
		flags |= flagProblems
	}
	buf = binary.AppendUvarint(buf, flags)
	buf = appendString(buf, b.Prefix)
	buf = binary.AppendUvarint(buf, uint64(b.Len()))
	var prevT, prevO int64
	for i := range b.Times {
		buf = binary.AppendVarint(buf, b.Times[i]-prevT)
		prevT = b.Times[i]
		if b.IDs != nil {
			buf = appendString(buf, b.IDs[i])
		} else {
			buf = binary.AppendVarint(buf, b.Offsets[i]-prevO)
			prevO = b.Offsets[i]
		}
		buf = binary.AppendVarint(buf, b.Sizes[i])
		buf = binary.AppendUvarint(buf, uint64(len(b.Data[i])))
		buf = append(buf, b.Data[i]...)
		if b.Problems != nil {
			buf = appendString(buf, b.Problems[i])
		}
	}
	return buf
}

func appendString(buf []byte, s string) []byte {
	return append(binary.AppendUvarint(buf, uint64(len(s))), s...)
}

// DecodeRawBatch decodes what AppendBinary wrote. The records' Data share
// data's memory.
func DecodeRawBatch(data []byte) (RawBatch, error) {
	r := batchReader{buf: data}
	flags := r.uvarint()
	b := RawBatch{Prefix: string(r.bytes())}
	n := r.uvarint()
	if r.bad || n > uint64(len(r.buf)) { // every record takes at least a byte
		return RawBatch{}, ErrBadRawBatch
	}
	b.Times, b.Data, b.Sizes = make([]int64, n), make([][]byte, n), make([]int64, n)
	if flags&flagIDs != 0 {
		b.IDs = make([]string, n)
	} else {
		b.Offsets = make([]int64, n)
	}
	if flags&flagProblems != 0 {
		b.Problems = make([]string, n)
	}
	var t, o int64
	for i := range b.Times {
		t += r.varint()
		b.Times[i] = t
		if b.IDs != nil {
			b.IDs[i] = string(r.bytes())
		} else {
			o += r.varint()
			b.Offsets[i] = o
		}
		b.Sizes[i] = r.varint()
		b.Data[i] = r.bytes()
		if b.Problems != nil {
			b.Problems[i] = string(r.bytes())
		}
	}
	if r.bad || len(r.buf) != 0 {
		return RawBatch{}, ErrBadRawBatch
	}
	return b, nil
}

// batchReader reads an encoded batch; bad sticks once a read fails.
type batchReader struct {
	buf []byte
	bad bool
}

func (r *batchReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.bad, r.buf = true, nil
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *batchReader) varint() int64 {
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.bad, r.buf = true, nil
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *batchReader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.buf)) {
		r.bad, r.buf = true, nil
		return nil
	}
	b := r.buf[:n:n]
	r.buf = r.buf[n:]
	return b
}
