package badinput

import (
	"fmt"
	"strings"
)

// Kind says where a corpus line must end.
type Kind string

const (
	// Good lines must come through untouched.
	Good Kind = "good"
	// Bad lines must each become one dead letter whose reason contains
	// Case.Reason.
	Bad Kind = "bad"
	// Blank lines are not records: skipped by contract, never dead letters.
	Blank Kind = "blank"
)

// Case is one line of a corpus.
type Case struct {
	Name string
	Kind Kind
	// Reason is a substring of the dead letter's reason (Bad only).
	Reason string
	Line   []byte
}

// bad builds a Bad case from a string of bytes (which may be invalid UTF-8).
// fr is the reason of a field error, as events.FieldError words it.
func fr(field, reason string) string { return fmt.Sprintf("field %q: %s", field, reason) }

func bad(name, reason, line string) Case {
	return Case{Name: name, Kind: Bad, Reason: reason, Line: []byte(line)}
}

// sensorRecord renders a reading with fields overridden or removed (a value
// of "" removes the field); order is device_id, timestamp, temperature.
func sensorRecord(over map[string]string) string {
	return record([]string{"device_id", "timestamp", "temperature"}, map[string]string{
		"device_id": `"dev-bad"`, "timestamp": `"2025-06-01T10:00:00Z"`, "temperature": `21.5`,
	}, over)
}

// reviewRecord renders a review with fields overridden or removed.
func reviewRecord(over map[string]string) string {
	return record([]string{"review_id", "product_id", "timestamp", "rating", "review_text"}, map[string]string{
		"review_id": `"rev-bad"`, "product_id": `"p-1"`, "timestamp": `"2025-06-01T10:00:00Z"`,
		"rating": `4`, "review_text": `"Battery life is great"`,
	}, over)
}

func record(order []string, base, over map[string]string) string {
	var b strings.Builder
	b.WriteByte('{')
	first := true
	for _, k := range order {
		v := base[k]
		if o, ok := over[k]; ok {
			v = o
		}
		if v == "" {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%q:%s", k, v)
	}
	return b.String() + "}"
}

// syntaxCases are hostile at the JSON or byte level, whatever the schema;
// valid is a good record of the pipeline, idField its id field.
func syntaxCases(valid string, idField string) []Case {
	body := valid[1 : len(valid)-1] // without braces
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	deepObj := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	return []Case{
		bad("truncated-mid-key", "malformed JSON", valid[:len(valid)/3]),
		bad("truncated-after-colon", "malformed JSON", `{"`+idField+`":`),
		bad("truncated-in-string", "malformed JSON", `{"`+idField+`":"abc`),
		bad("open-brace-only", "malformed JSON", `{`),
		bad("missing-closing-brace", "malformed JSON", valid[:len(valid)-1]),
		bad("trailing-garbage", "malformed JSON", valid+` x`),
		bad("two-objects", "malformed JSON", valid+valid),
		bad("two-objects-cr", "malformed JSON", valid+"\r"+valid),
		bad("unquoted-key", "malformed JSON", `{`+idField+`:"a"}`),
		bad("single-quotes", "malformed JSON", `{'`+idField+`':'a'}`),
		bad("trailing-comma", "malformed JSON", `{`+body+`,}`),
		bad("missing-colon", "malformed JSON", `{"`+idField+`" "a"}`),
		bad("missing-value", "malformed JSON", `{"`+idField+`":,`+body+`}`),
		bad("bad-escape", "malformed JSON", `{"`+idField+`":"a\x41",`+body+`}`),
		bad("comment", "malformed JSON", `{/* note */`+body+`}`),
		bad("nan-literal", "malformed JSON", `{`+body+`,"extra":NaN}`),
		bad("infinity-literal", "malformed JSON", `{`+body+`,"extra":Infinity}`),
		bad("minus-infinity-literal", "malformed JSON", `{`+body+`,"extra":-Infinity}`),
		bad("hex-number", "malformed JSON", `{`+body+`,"extra":0x10}`),
		bad("leading-zero", "malformed JSON", `{`+body+`,"extra":0012}`),
		bad("leading-plus", "malformed JSON", `{`+body+`,"extra":+1}`),
		bad("bare-decimal", "malformed JSON", `{`+body+`,"extra":.5}`),
		bad("top-level-null", "not a JSON object", `null`),
		bad("top-level-true", "not a JSON object", `true`),
		bad("top-level-string", "not a JSON object", `"`+idField+`"`),
		bad("top-level-number", "not a JSON object", `42`),
		bad("top-level-array", "not a JSON object", `[`+valid+`]`),
		bad("closing-brace-only", "not a JSON object", `}`),
		bad("commas-only", "not a JSON object", `,,,`),
		bad("empty-object", fr(idField, "is required"), `{}`),
		bad("ts-1e400", "timestamp", `{`+replaceTS(body, `1e400`)+`}`),
		bad("ts-negative", "out of range", `{`+replaceTS(body, `-1`)+`}`),
		bad("ts-huge", "out of range", `{`+replaceTS(body, `1e20`)+`}`),
		bad("ts-year-9999", "in the future", `{`+replaceTS(body, `"9999-12-31T23:59:59Z"`)+`}`),
		bad("ts-before-1970", "before 1970", `{`+replaceTS(body, `"1969-12-31T23:59:59Z"`)+`}`),
		bad("ts-no-zone", "RFC 3339", `{`+replaceTS(body, `"2025-06-01T10:00:00"`)+`}`),
		bad("ts-date-only", "RFC 3339", `{`+replaceTS(body, `"2025-06-01"`)+`}`),
		bad("ts-month-13", "RFC 3339", `{`+replaceTS(body, `"2025-13-01T10:00:00Z"`)+`}`),
		bad("ts-empty-string", "RFC 3339", `{`+replaceTS(body, `""`)+`}`),
		bad("ts-bool", fr("timestamp", "must be"), `{`+replaceTS(body, `true`)+`}`),
		bad("ts-null", fr("timestamp", "must be"), `{`+replaceTS(body, `null`)+`}`),
		bad("ts-array", fr("timestamp", "must be"), `{`+replaceTS(body, `[1748772000000]`)+`}`),
		bad("ts-object", fr("timestamp", "must be"), `{`+replaceTS(body, `{"ms":1748772000000}`)+`}`),
		bad("ts-missing", fr("timestamp", "is required"), `{`+replaceTS(body, ``)+`}`),
		bad("ts-duplicated", fr("timestamp", "appears more than once"), `{`+body+`,"timestamp":0}`),
		bad("id-duplicated", fr(idField, "appears more than once"), `{`+body+`,"`+idField+`":"other"}`),
		bad("unknown-field-duplicated", fr("extra", "appears more than once"), `{`+body+`,"extra":1,"extra":2}`),
		bad("id-number", fr(idField, "must be a string"), `{`+replaceID(body, idField, `7`)+`}`),
		bad("id-bool", fr(idField, "must be a string"), `{`+replaceID(body, idField, `false`)+`}`),
		bad("id-null", fr(idField, "must be a string"), `{`+replaceID(body, idField, `null`)+`}`),
		bad("id-array", fr(idField, "must be a string"), `{`+replaceID(body, idField, `["a"]`)+`}`),
		bad("id-object", fr(idField, "must be a string"), `{`+replaceID(body, idField, `{"a":1}`)+`}`),
		bad("id-empty", fr(idField, "must be 1-256 bytes"), `{`+replaceID(body, idField, `""`)+`}`),
		bad("id-10k", fr(idField, "must be 1-256 bytes"), `{`+replaceID(body, idField, `"`+strings.Repeat("x", 10000)+`"`)+`}`),
		bad("id-missing", fr(idField, "is required"), `{`+replaceID(body, idField, ``)+`}`),
		bad("id-escaped-nul", "control character", `{`+replaceID(body, idField, `"a\u0000b"`)+`}`),
		bad("id-escaped-newline", "control character", `{`+replaceID(body, idField, `"a\nb"`)+`}`),
		bad("id-terminal-escape", "control character", `{`+replaceID(body, idField, `"\u001b[31mred"`)+`}`),
		bad("id-c1-control", "control character", `{`+replaceID(body, idField, `"a\u0085b"`)+`}`),
		bad("raw-nul-in-string", "malformed JSON", `{`+replaceID(body, idField, "\"a\x00b\"")+`}`),
		bad("raw-tab-in-string", "malformed JSON", `{`+replaceID(body, idField, "\"a\tb\"")+`}`),
		bad("raw-control-before-escape", "malformed JSON", `{`+body+",\"extra\":\"\x01\\u0041\"}"),
		bad("raw-control-outside-string", "malformed JSON", "{\x01"+body+`}`),
		bad("utf8-invalid-in-id", "not valid UTF-8", `{`+replaceID(body, idField, "\"a\xffb\"")+`}`),
		bad("utf8-invalid-in-extra", "not valid UTF-8", `{`+body+",\"extra\":\"\xfe\"}"),
		bad("utf8-overlong", "not valid UTF-8", `{`+body+",\"extra\":\"\xc0\xaf\"}"),
		bad("utf8-truncated-multibyte", "not valid UTF-8", `{`+body+",\"extra\":\"\xe2\x82\"}"),
		bad("utf8-lone-continuation", "not valid UTF-8", `{`+body+",\"extra\":\"\x80\"}"),
		bad("utf8-surrogate-bytes", "not valid UTF-8", `{`+body+",\"extra\":\"\xed\xa0\x80\"}"),
		bad("utf16le-with-bom", "not valid UTF-8", "\xff\xfe{\x00\"\x00a\x00\"\x00:\x001\x00}\x00"),
		bad("bom-inside-object", "malformed JSON", "{\xef\xbb\xbf"+body+`}`),
		bad("double-bom", "not a JSON object", "\xef\xbb\xbf\xef\xbb\xbf"+valid),
		bad("deeply-nested-arrays", "malformed JSON", `{`+body+`,"extra":`+deep+`}`),
		bad("deeply-nested-objects", "malformed JSON", `{`+body+`,"extra":`+deepObj+`}`),
	}
}

// replaceTS replaces (or with "" removes) the timestamp in a record body.
func replaceTS(body, v string) string { return replaceField(body, "timestamp", v) }

func replaceID(body, field, v string) string { return replaceField(body, field, v) }

// replaceField rewrites `"field":value` in a flat record body made by
// record (values hold no commas at top level there).
func replaceField(body, field, v string) string {
	parts := strings.Split(body, `,"`)
	for i, p := range parts {
		key := `"` + field + `":`
		if i > 0 {
			key = field + `":`
		}
		if strings.HasPrefix(p, key) {
			if v == "" {
				parts = append(parts[:i], parts[i+1:]...)
				if i == 0 && len(parts) > 0 {
					parts[0] = `"` + parts[0]
				}
				return strings.Join(parts, `,"`)
			}
			parts[i] = key + v
			return strings.Join(parts, `,"`)
		}
	}
	panic("badinput: no field " + field + " in " + body)
}
