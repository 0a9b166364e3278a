package events

import (
	"encoding/base64"
	"strconv"
	"time"
	"unicode/utf8"
)

// MaxDeadLetterRaw is how much of a rejected record a dead letter keeps. A
// 10 MiB line is kept as its first 64 KiB and its length, so one hostile
// record cannot blow up the dead-letter stream.
const MaxDeadLetterRaw = 64 << 10

// DeadLetter records why a record was not processed, with the record itself.
//
// JSON form: {"stage", "error", "raw" (the original bytes as a string when
// they are valid UTF-8) or "raw_base64" (when they are not), "raw_bytes" (the
// original length), "raw_truncated" (present and true when only the first
// MaxDeadLetterRaw bytes are kept), "source", "time" (RFC 3339, when the
// record was rejected)}.
type DeadLetter struct {
	// Stage names the step that rejected the record, e.g. "read",
	// "decode", "llm".
	Stage string
	// Error says why, in words a user can act on.
	Error string
	// Raw is the original record, at most MaxDeadLetterRaw bytes of it.
	Raw []byte
	// RawBytes is the original record's length.
	RawBytes int64
	// Source says where the record came from: "FILE:LINE",
	// "kafka://topic/partition@offset", ...
	Source string
	// TimeMs is when the record was rejected, epoch milliseconds.
	TimeMs int64
}

// NewDeadLetter builds a dead letter stamped with the current time, keeping at
// most MaxDeadLetterRaw bytes of raw (copied, so the caller may reuse it).
func NewDeadLetter(stage, reason string, raw []byte, source string) DeadLetter {
	return DeadLetter{
		Stage:    stage,
		Error:    reason,
		Raw:      keepRaw(raw),
		RawBytes: int64(len(raw)),
		Source:   source,
		TimeMs:   time.Now().UnixMilli(),
	}
}

func keepRaw(raw []byte) []byte {
	n := len(raw)
	if n > MaxDeadLetterRaw {
		n = MaxDeadLetterRaw
	}
	out := make([]byte, n)
	copy(out, raw[:n])
	return out
}

// Truncated reports whether Raw holds less than the original record.
func (d DeadLetter) Truncated() bool { return int64(len(d.Raw)) < d.RawBytes }

// AppendJSON appends the dead letter as one JSON object (no newline).
func (d DeadLetter) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"stage":`...)
	dst = AppendString(dst, d.Stage)
	dst = append(dst, `,"error":`...)
	dst = AppendString(dst, d.Error)
	raw := d.Raw
	if d.Truncated() {
		// A cut may split a multi-byte rune; drop the partial tail so a
		// valid UTF-8 record still shows as text.
		for len(raw) > 0 && !utf8.Valid(raw) && len(d.Raw)-len(raw) < utf8.UTFMax {
			raw = raw[:len(raw)-1]
		}
		if !utf8.Valid(raw) {
			raw = d.Raw
		}
	}
	if utf8.Valid(raw) {
		dst = append(dst, `,"raw":`...)
		dst = AppendString(dst, string(raw))
	} else {
		dst = append(dst, `,"raw_base64":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, d.Raw)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"raw_bytes":`...)
	dst = strconv.AppendInt(dst, d.RawBytes, 10)
	if d.Truncated() {
		dst = append(dst, `,"raw_truncated":true`...)
	}
	dst = append(dst, `,"source":`...)
	dst = AppendString(dst, d.Source)
	dst = append(dst, `,"time":`...)
	dst = append(AppendUTCMillis(append(dst, '"'), d.TimeMs), '"')
	return append(dst, '}')
}
