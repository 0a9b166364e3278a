package events

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
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

// DecodeOptions tunes strict decoding: where the fields of a record are,
// which fields are metrics, how timestamps are written and how Kafka values
// are framed. The zero value is the default (beamlens's own record shape).
// Every field is a plain value, so the options travel as a DoFn field,
// which Beam serialises into the job graph; a decoder compiles them once,
// on its first record.
type DecodeOptions struct {
	// MaxFuture is how far past Now a timestamp may lie. Default
	// DefaultMaxFuture; a negative value disables the check (replaying
	// synthetic streams dated in the future).
	MaxFuture time.Duration
	// NowMs is the wall clock MaxFuture is measured from, in epoch
	// milliseconds. Default 0: the real clock (tests fix it).
	NowMs int64

	// DeviceField is the path (see Path) of a reading's device id.
	// Default "device_id".
	DeviceField string
	// TimestampField is the path of the event time, for readings and
	// reviews. Default "timestamp".
	TimestampField string
	// Metrics says which fields of a reading are metrics (see
	// ParseMetrics): PATH or PATH:NAME items, or "all". Default "" (the
	// same as "all"): every numeric top-level field but the timestamp.
	Metrics string
	// Required names the metrics that are scored: a reading carrying none
	// of them is a dead letter ("missing metric ..."), and under "all" a
	// top-level field of that name must be a number (or a decimal string).
	// Default none; the anomaly pipeline sets its --metric.
	Required []string

	// TimestampUnit is the unit of numeric timestamps: "auto" (the
	// default, also ""), "s", "ms", "us" or "ns". auto decides per record
	// by magnitude (see EpochMs).
	TimestampUnit string
	// TimestampFormat is a Go time layout for text timestamps that are not
	// RFC 3339 ("2006-01-02 15:04:05"). Default "": RFC 3339 only.
	TimestampFormat string
	// Timezone is the IANA zone (Europe/Berlin, UTC) of text timestamps
	// that carry none. Default "": such timestamps are dead letters.
	Timezone string

	// Review names the fields of a review. Zero value: the defaults.
	Review ReviewFields

	// SchemaRegistry decodes Confluent-framed values whose payload is not
	// JSON (Avro). Framed JSON needs nothing: the frame is stripped.
	SchemaRegistry SchemaRegistry
}

// ReviewFields are the paths of a review's fields; each empty one is its
// default: review_id, product_id, review_text, rating.
type ReviewFields struct {
	ID, Product, Text, Rating string
}

func (o DecodeOptions) maxFuture() time.Duration {
	if o.MaxFuture == 0 {
		return DefaultMaxFuture
	}
	return o.MaxFuture
}

func (o DecodeOptions) now() time.Time {
	if o.NowMs == 0 {
		return time.Now()
	}
	return time.UnixMilli(o.NowMs)
}

// Validate reports the first option a decoder could not use: a malformed
// path or metrics spec, an unknown unit or zone.
func (o DecodeOptions) Validate() error {
	_, err := compile(o)
	return err
}

// compiled is DecodeOptions parsed once for a decoder.
type compiled struct {
	opts      DecodeOptions
	device    Path
	timestamp Path
	// tsTop is the timestamp's top-level key when it is one, so that the
	// metrics scan skips it.
	tsTop  string
	mapped []MetricSpec
	all    bool
	// wanted are top-level names that must hold numbers under all.
	wanted []string
	unit   string
	loc    *time.Location
	review struct{ id, product, text, rating Path }
	// clock is the wall clock MaxFuture is judged against, read once per
	// clockEvery records rather than once per record (see futureLimitMs).
	clock     int64
	clockLeft int
	// flat is whether every named field is a top-level key, so that
	// readings may take the flat path (see flat.go).
	flat bool
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func compile(o DecodeOptions) (*compiled, error) {
	c := &compiled{opts: o}
	var err error
	if c.device, err = ParsePath(orDefault(o.DeviceField, "device_id")); err != nil {
		return nil, fmt.Errorf("device field: %v", err)
	}
	if c.timestamp, err = ParsePath(orDefault(o.TimestampField, "timestamp")); err != nil {
		return nil, fmt.Errorf("timestamp field: %v", err)
	}
	c.tsTop, _ = c.timestamp.Top()
	if c.mapped, c.all, err = ParseMetrics(o.Metrics); err != nil {
		return nil, fmt.Errorf("metrics: %v", err)
	}
	for _, r := range o.Required {
		if r == "" {
			return nil, fmt.Errorf("required metric is empty")
		}
	}
	// Under all, the scored metrics and temperature (the contract's named
	// metric) must be numbers when present at the top level; any other
	// non-numeric field passes through.
	c.wanted = append(append(c.wanted, o.Required...), "temperature")
	switch o.TimestampUnit {
	case "", "auto":
		c.unit = "auto"
	case "s", "ms", "us", "ns":
		c.unit = o.TimestampUnit
	default:
		return nil, fmt.Errorf("timestamp unit %q: want auto, s, ms, us or ns", o.TimestampUnit)
	}
	if o.Timezone != "" {
		if c.loc, err = time.LoadLocation(o.Timezone); err != nil {
			return nil, fmt.Errorf("timezone: %v", err)
		}
	}
	if o.TimestampFormat != "" && !strings.Contains(o.TimestampFormat, "2006") {
		return nil, fmt.Errorf("timestamp format %q is not a Go time layout (write the reference time, e.g. 2006-01-02 15:04:05)", o.TimestampFormat)
	}
	for _, f := range []struct {
		dst       *Path
		val, name string
	}{
		{&c.review.id, o.Review.ID, "review_id"}, {&c.review.product, o.Review.Product, "product_id"},
		{&c.review.text, o.Review.Text, "review_text"}, {&c.review.rating, o.Review.Rating, "rating"},
	} {
		if *f.dst, err = ParsePath(orDefault(f.val, f.name)); err != nil {
			return nil, fmt.Errorf("%s field: %v", f.name, err)
		}
	}
	if err := o.SchemaRegistry.validate(); err != nil {
		return nil, err
	}
	c.flat = c.flatPaths()
	return c, nil
}

// mustCompile is compile for a decoder: options that do not compile are a
// programming error (the command line validates them first).
func mustCompile(o DecodeOptions) *compiled {
	c, err := compile(o)
	if err != nil {
		panic("events: invalid DecodeOptions: " + err.Error())
	}
	return c
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// TrimRecord strips what a line may carry around its JSON: a UTF-8
// byte-order mark, a CR of a CRLF ending, and surrounding white space.
func TrimRecord(b []byte) []byte {
	b = bytes.TrimPrefix(b, utf8BOM)
	return bytes.TrimSpace(b)
}

// parseObject checks size, UTF-8 and JSON validity, then parses b as one
// JSON object with no duplicate top-level keys. The common record takes one
// pass (parsePlainObject); anything else, and every record it rejects, the
// full checks, so each rejection keeps its precise reason.
func parseObject(p *fastjson.Parser, b []byte, scratch *[]byte) (*fastjson.Object, error) {
	if len(b) > MaxRecordBytes {
		return nil, fieldErr("", "record is %d bytes, over the %d-byte limit", len(b), MaxRecordBytes)
	}
	if o := parsePlainObject(p, b, scratch); o != nil {
		return o, nil
	}
	if !utf8.Valid(b) {
		return nil, fieldErr("", "record is not valid UTF-8")
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, fieldErr("", "record is not a JSON object")
	}
	if nestedDeeperThan(b, fastjson.MaxDepth) {
		return nil, fieldErr("", "malformed JSON: nested more than %d levels deep", fastjson.MaxDepth)
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

// parsePlainObject is parseObject's one-pass path, for a record of plain
// ASCII with no escape and no control character: what a device sends. On
// such bytes fastjson's parser checks all of JSON's grammar but numbers
// (it takes any run of digits, signs, dots and e, and NaN or Inf), so the
// numbers are checked as the tree is walked for duplicate keys. It returns
// nil for any other record, or any it cannot accept: the caller runs the
// full checks then (ValidateBytes, then the parser), which give the
// reason. FuzzPlainObjectAgreesWithFullChecks holds the two paths to one
// answer.
func parsePlainObject(p *fastjson.Parser, b []byte, scratch *[]byte) *fastjson.Object {
	if len(b) == 0 || b[0] != '{' || !printableASCII(b) {
		return nil
	}
	v, err := p.ParseBytes(b)
	if err != nil {
		return nil
	}
	o, err := v.Object()
	if err != nil || !plainMembers(o, scratch) {
		return nil
	}
	return o
}

// plainMembers reports whether object o has no duplicate key (at the top
// level, as the full checks ask) and every number in it is in JSON's
// grammar. scratch holds a number's text.
func plainMembers(o *fastjson.Object, scratch *[]byte) bool {
	return duplicateKey(o) == "" && numbersIn(o, scratch, 1)
}

func numbersIn(o *fastjson.Object, scratch *[]byte, depth int) bool {
	ok := true
	o.Visit(func(_ []byte, v *fastjson.Value) {
		ok = ok && numbersValid(v, scratch, depth+1)
	})
	return ok
}

// numbersValid reports whether every number in v is in JSON's grammar.
// The parser has bounded the depth already.
func numbersValid(v *fastjson.Value, scratch *[]byte, depth int) bool {
	switch v.Type() {
	case fastjson.TypeNumber:
		*scratch = v.MarshalTo((*scratch)[:0])
		return isPlainDecimal(*scratch)
	case fastjson.TypeObject:
		o, _ := v.Object()
		return numbersIn(o, scratch, depth)
	case fastjson.TypeArray:
		a, _ := v.Array()
		for _, e := range a {
			if !numbersValid(e, scratch, depth+1) {
				return false
			}
		}
	}
	return true
}

// printableASCII reports whether every byte of b is in 0x20-0x7f and none
// is a backslash, eight bytes at a time (the "has less than" and "has
// zero byte" tests of Sean Anderson's Bit Twiddling Hacks).
func printableASCII(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		y := x ^ ('\\' * ones)
		if (x|(x-0x20*ones)&^x|(y-ones)&^y)&highs != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// nestedDeeperThan reports whether objects and arrays in b nest more than
// max levels deep, strings skipped. fastjson rejects such a record too, but
// wraps its error once per level: a 43 KB record nested 7,000 deep took 4 s
// of CPU to reject.
func nestedDeeperThan(b []byte, max int) bool {
	depth, in := 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case in:
		case c == '{' || c == '[':
			if depth++; depth > max {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
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
		var keys [16][]byte
		seen := 0
		o.Visit(func(k []byte, _ *fastjson.Value) {
			if dup != "" {
				return
			}
			for _, prev := range keys[:seen] {
				if string(prev) == string(k) {
					dup = string(k)
					return
				}
			}
			keys[seen] = k
			seen++
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

func requiredID(o *fastjson.Object, p Path) ([]byte, error) {
	field := p.text
	v, _ := lookup(o, p)
	if v == nil {
		return nil, fieldErr(field, "is required")
	}
	if v.Type() != fastjson.TypeString {
		return nil, fieldErr(field, "must be a string, got %s", v.Type())
	}
	b, _ := v.StringBytes()
	if len(b) == 0 || len(b) > MaxIDBytes {
		return nil, fieldErr(field, "must be 1-%d bytes, got %d", MaxIDBytes, len(b))
	}
	if !utf8.Valid(b) {
		return nil, fieldErr(field, "is not valid UTF-8")
	}
	if i := controlIndex(b); i >= 0 {
		// Ids become Kafka keys, file names in tools, log and terminal
		// text: a NUL, newline or escape sequence there is an attack or a
		// bug, never a name.
		return nil, fieldErr(field, "holds a control character at byte %d", i)
	}
	return b, nil
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
	// strconv, not fastjson's Float64: fastfloat rounds twice for more
	// than 15 significant digits, strconv rounds correctly, and the flat
	// path (flat.go) reads the same text with it.
	f, err := strconv.ParseFloat(string(v.MarshalTo(nil)), 64)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fieldErr(field, "is not a finite number")
	}
	if err != nil {
		return 0, fieldErr(field, "is not a number: %s", shorten(err.Error(), 80))
	}
	return f, nil
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
