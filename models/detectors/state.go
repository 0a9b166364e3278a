package detectors

import (
	"encoding/binary"
	"fmt"
	"hash"
	"hash/fnv"
	"math"
)

// State layout, version 4 (version 3 had no spike habit nor seasonal context in likelihood,
// version 2 no learned range in likelihood, version 1 no resolution in the
// gate): one version byte, one kind byte, the eight-byte
// little-endian fingerprint of the state-shaping configuration, then the
// detector's body. Counts are unsigned varints; floats are their eight IEEE
// 754 bytes, because a restored detector must give bit-identical verdicts
// and any rounding on the way would break that.
//
// Bump the version whenever a detector's state layout or meaning changes,
// constants included (hst's unitSigmas, the tree generator): old state would
// otherwise restore without error into a detector that reads it differently.
const stateVersion = 4

// kind tags state with the detector that wrote it. Values are part of the
// state format: never renumber.
type kind uint8

const (
	kindThreshold kind = iota + 1
	kindZScore
	kindRobustZScore
	kindIQR
	kindEWMA
	kindMahalanobis
	kindHST
	kindEnsemble
	kindCAD
	kindStuck
	kindLikelihood
	kindPCA
)

var kindNames = [...]string{"", "threshold", "zscore", "robust_zscore", "iqr", "ewma", "mahalanobis", "hst", "ensemble", "cad", "stuck", "likelihood", "pca"}

func (k kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// fingerprint hashes the parameters that shape a detector's state, so state
// is never restored into a detector that would read it differently.
type fingerprint struct{ h hash.Hash64 }

func newFingerprint(k kind) *fingerprint {
	f := &fingerprint{h: fnv.New64a()}
	f.h.Write([]byte{byte(k)})
	return f
}

func (f *fingerprint) int(v int) *fingerprint {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(v))
	f.h.Write(b[:])
	return f
}

func (f *fingerprint) float(v float64) *fingerprint { return f.int(int(math.Float64bits(v))) }

func (f *fingerprint) str(s string) *fingerprint {
	f.int(len(s))
	f.h.Write([]byte(s))
	return f
}

func (f *fingerprint) sum() uint64 { return f.h.Sum64() }

func appendHeader(b []byte, k kind, fp uint64) []byte {
	b = append(b, stateVersion, byte(k))
	return binary.LittleEndian.AppendUint64(b, fp)
}

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func appendFloat(b []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// stateReader decodes a body, remembering the first error so that decoding
// code reads straight through and checks once at the end.
type stateReader struct {
	b   []byte
	err error
}

// openState checks the header and returns a reader of the body.
func openState(data []byte, k kind, fp uint64) (stateReader, error) {
	if len(data) < 10 {
		return stateReader{}, fmt.Errorf("%w: %d bytes is shorter than a header", ErrStateCorrupt, len(data))
	}
	if data[0] != stateVersion {
		return stateReader{}, fmt.Errorf("%w: version %d, this build reads %d", ErrStateVersion, data[0], stateVersion)
	}
	if got := kind(data[1]); got != k {
		return stateReader{}, fmt.Errorf("%w: state of %s restored into %s", ErrStateMismatch, got, k)
	}
	if got := binary.LittleEndian.Uint64(data[2:10]); got != fp {
		return stateReader{}, fmt.Errorf("%w: %s state written with another window, span, tree or metric setting", ErrStateMismatch, k)
	}
	return stateReader{b: data[10:]}, nil
}

func (r *stateReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrStateCorrupt}, args...)...)
	}
}

func (r *stateReader) uvarint() uint64 {
	// Most counts fit one byte; take that path without the general loop.
	if len(r.b) > 0 && r.b[0] < 0x80 && r.err == nil {
		v := uint64(r.b[0])
		r.b = r.b[1:]
		return v
	}
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *stateReader) bool() bool { return r.count(1) == 1 }

// count reads a count that must not exceed limit.
func (r *stateReader) count(limit int) int {
	v := r.uvarint()
	if v > uint64(limit) {
		r.fail("count %d exceeds %d", v, limit)
		return 0
	}
	return int(v)
}

// fixed32 reads a little-endian uint32 count.
func (r *stateReader) fixed32() int {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 4 {
		r.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b)
	r.b = r.b[4:]
	return int(v)
}

// float reads a finite float: state never holds NaN or Inf, so one there
// means the bytes were damaged.
func (r *stateReader) float() float64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.fail("truncated")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	if math.IsNaN(v) || math.IsInf(v, 0) {
		r.fail("non-finite number")
		return 0
	}
	return v
}

// chunk reads a length-prefixed byte string (an ensemble member's state).
func (r *stateReader) chunk() []byte {
	v := r.uvarint()
	if r.err == nil && v > uint64(len(r.b)) {
		r.fail("chunk of %d bytes, %d left", v, len(r.b))
	}
	if r.err != nil {
		return nil
	}
	n := int(v)
	c := r.b[:n]
	r.b = r.b[n:]
	return c
}

// done reports the first error, or trailing bytes.
func (r *stateReader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	return r.err
}

// body is what a detector contributes to its state after the header.
type body interface {
	appendBody(b []byte) []byte
	readBody(r *stateReader)
	Reset()
}

// marshal writes a detector's state: header, then body.
func marshal(b []byte, d body, k kind, fp uint64) []byte {
	return d.appendBody(appendHeader(b, k, fp))
}

// restore reads a detector's state, or resets the detector and says why
// not, so a failed restore never leaves a half-read detector behind.
func restore(data []byte, d body, k kind, fp uint64) error {
	r, err := openState(data, k, fp)
	if err == nil {
		d.readBody(&r)
		err = r.done()
	}
	if err != nil {
		d.Reset()
	}
	return err
}
