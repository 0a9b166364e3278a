package events

import (
	"bytes"
	"math"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// MaxRecordBytes is the largest record accepted: one line of at most 1 MiB.
const MaxRecordBytes = 1 << 20

// MaxIDBytes is the longest identifier (device_id, review_id, product_id).
const MaxIDBytes = 256

// DefaultMaxFuture is how far ahead of the wall clock a timestamp may be
// before it is judged wrong. Synchronised clocks agree to seconds and
// unsynchronised ones drift minutes a month, while a clock set to the
// wrong time zone (local time written as UTC) is at least half an hour
// off: five minutes keeps the first and catches the second.
const DefaultMaxFuture = 5 * time.Minute

// DecodeOptions tunes strict decoding. The zero value is the default.
type DecodeOptions struct {
	// MaxFuture is how far past Now a timestamp may lie. Default
	// DefaultMaxFuture; a negative value disables the check (replaying
	// synthetic streams dated in the future).
	MaxFuture time.Duration
	// Now returns the wall clock. Default time.Now.
	Now func() time.Time
}

func (o DecodeOptions) maxFuture() time.Duration {
	if o.MaxFuture == 0 {
		return DefaultMaxFuture
	}
	return o.MaxFuture
}

func (o DecodeOptions) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// TrimRecord strips what a line may carry around its JSON: a UTF-8
// byte-order mark, a CR of a CRLF ending, and surrounding white space.
func TrimRecord(b []byte) []byte {
	b = bytes.TrimPrefix(b, utf8BOM)
	return bytes.TrimSpace(b)
}

// parseObject checks size, UTF-8 and JSON validity, then parses b as one
// JSON object with no duplicate top-level keys.
func parseObject(p *fastjson.Parser, b []byte) (*fastjson.Object, error) {
	if len(b) > MaxRecordBytes {
		return nil, fieldErr("", "record is %d bytes, over the %d-byte limit", len(b), MaxRecordBytes)
	}
	if !utf8.Valid(b) {
		return nil, fieldErr("", "record is not valid UTF-8")
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, fieldErr("", "record is not a JSON object")
	}
	if err := fastjson.ValidateBytes(b); err != nil {
		return nil, fieldErr("", "malformed JSON: %s", shorten(err.Error(), 200))
	}
	if i := controlInString(b); i >= 0 {
		return nil, fieldErr("", "malformed JSON: a string holds control character 0x%02x at byte %d", b[i], i)
	}
	v, err := p.ParseBytes(b)
	if err != nil {
		return nil, fieldErr("", "malformed JSON: %s", shorten(err.Error(), 200))
	}
	o, err := v.Object()
	if err != nil {
		return nil, fieldErr("", "record is not a JSON object")
	}
	if k := duplicateKey(o); k != "" {
		return nil, fieldErr(k, "appears more than once")
	}
	return o, nil
}

// controlInString returns the offset of a raw control character inside a
// JSON string of b, or -1. fastjson lets one through when it comes before
// the first escape of a string (found by fuzzing), and beamlens passes
// records on byte for byte, so it would pass invalid JSON downstream. Only
// strings with an escape need the scan; fastjson checks the others.
func controlInString(b []byte) int {
	if bytes.IndexByte(b, '\\') < 0 {
		return -1
	}
	in := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case !in:
			in = c == '"'
		case c == '\\':
			i++
		case c == '"':
			in = false
		case c < 0x20:
			return i
		}
	}
	return -1
}

func duplicateKey(o *fastjson.Object) string {
	n := o.Len()
	if n < 2 {
		return ""
	}
	dup := ""
	if n <= 16 {
		// Quadratic but allocation-free for the usual handful of fields.
		keys := make([]string, 0, 16)
		o.Visit(func(k []byte, _ *fastjson.Value) {
			if dup != "" {
				return
			}
			for _, seen := range keys {
				if seen == string(k) {
					dup = seen
					return
				}
			}
			keys = append(keys, string(k))
		})
		return dup
	}
	seen := make(map[string]struct{}, n)
	o.Visit(func(k []byte, _ *fastjson.Value) {
		if _, ok := seen[string(k)]; ok && dup == "" {
			dup = string(k)
		}
		seen[string(k)] = struct{}{}
	})
	return dup
}

func requiredID(o *fastjson.Object, field string) (string, error) {
	v := o.Get(field)
	if v == nil {
		return "", fieldErr(field, "is required")
	}
	if v.Type() != fastjson.TypeString {
		return "", fieldErr(field, "must be a string, got %s", v.Type())
	}
	b, _ := v.StringBytes()
	if len(b) == 0 || len(b) > MaxIDBytes {
		return "", fieldErr(field, "must be 1-%d bytes, got %d", MaxIDBytes, len(b))
	}
	if !utf8.Valid(b) {
		return "", fieldErr(field, "is not valid UTF-8")
	}
	if i := controlIndex(b); i >= 0 {
		// Ids become Kafka keys, file names in tools, log and terminal
		// text: a NUL, newline or escape sequence there is an attack or a
		// bug, never a name.
		return "", fieldErr(field, "holds a control character at byte %d", i)
	}
	return string(b), nil
}

// controlIndex returns the byte offset of the first C0 or C1 control
// character (or DEL) in valid UTF-8 b, or -1.
func controlIndex(b []byte) int {
	for i, r := range string(b) {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return i
		}
	}
	return -1
}

func finiteNumber(v *fastjson.Value, field string) (float64, error) {
	if v.Type() != fastjson.TypeNumber {
		return 0, fieldErr(field, "must be a number, got %s", v.Type())
	}
	f, err := v.Float64()
	if err != nil {
		return 0, fieldErr(field, "is not a number: %s", shorten(err.Error(), 80))
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fieldErr(field, "is not a finite number")
	}
	return f, nil
}

// minTime is the earliest plausible event time: sensors and reviews did not
// exist before the epoch, and a negative timestamp is almost always a bug.
var minTime = time.Unix(0, 0).UTC()

// eventTime reads a required timestamp: an RFC 3339 string or epoch
// milliseconds, between 1970 and MaxFuture past the wall clock.
func eventTime(o *fastjson.Object, field string, opts DecodeOptions) (time.Time, error) {
	v := o.Get(field)
	if v == nil {
		return time.Time{}, fieldErr(field, "is required")
	}
	var t time.Time
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		parsed, err := time.Parse(time.RFC3339Nano, string(b))
		if err != nil {
			return time.Time{}, fieldErr(field, "is not an RFC 3339 time: %q", shorten(string(b), 64))
		}
		t = parsed.UTC()
	case fastjson.TypeNumber:
		ms, err := finiteNumber(v, field)
		if err != nil {
			return time.Time{}, err
		}
		// Beyond ~292 million years int64 nanoseconds overflow; the range
		// check below rejects anything near that anyway.
		if ms < 0 || ms > 1e15 {
			return time.Time{}, fieldErr(field, "epoch milliseconds %s out of range", strconv.FormatFloat(ms, 'g', -1, 64))
		}
		t = time.UnixMilli(int64(ms)).UTC()
	default:
		return time.Time{}, fieldErr(field, "must be an RFC 3339 string or epoch milliseconds, got %s", v.Type())
	}
	if t.Before(minTime) {
		return time.Time{}, fieldErr(field, "%s is before 1970", t.Format(time.RFC3339))
	}
	if mf, now := opts.maxFuture(), opts.now(); mf >= 0 && t.After(now.Add(mf)) {
		return time.Time{}, fieldErr(field, "%s is in the future: %s ahead of this machine's clock, more than max-future %s allows (the device's clock is wrong)",
			t.Format(time.RFC3339), t.Sub(now).Round(time.Second), mf)
	}
	return t, nil
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// isBlank reports whether s has nothing but white space and control
// characters: nothing a reader, or a model, could take a theme from.
func isBlank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.IsControl(r) {
			return false
		}
	}
	return true
}
