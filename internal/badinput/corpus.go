package badinput

import (
	"fmt"
	"strings"
)

// Pipelines names the corpora: one per pipeline input.
var Pipelines = []string{"sensors", "reviews"}

// Cases returns the corpus of a pipeline ("sensors" or "reviews"): every
// hostile case between two good records, plus good records that only look
// odd (BOM, CRLF, padding) and blank lines.
func Cases(pipeline string) []Case {
	var hostile []Case
	var good func(i int) string
	switch pipeline {
	case "sensors":
		hostile = append(syntaxCases(sensorRecord(nil), "device_id"), sensorCases()...)
		good = goodSensor
	case "reviews":
		hostile = append(syntaxCases(reviewRecord(nil), "review_id"), reviewCases()...)
		good = goodReview
	default:
		panic("badinput: unknown pipeline " + pipeline)
	}
	var out []Case
	n := 0
	addGood := func(prefix, suffix string) {
		out = append(out, Case{Name: fmt.Sprintf("good-%03d", n), Kind: Good, Line: []byte(prefix + good(n) + suffix)})
		n++
	}
	for _, h := range hostile {
		addGood("", "")
		out = append(out, h)
	}
	addGood("", "")
	// Odd but valid: each must come through like any good record.
	addGood("\xef\xbb\xbf", "")
	addGood("", "\r")
	addGood("  \t", "  ")
	for _, b := range []string{"", " ", "\t", "\r", "\xef\xbb\xbf", " \r"} {
		out = append(out, Case{Name: "blank", Kind: Blank, Line: []byte(b)})
		addGood("", "")
	}
	return out
}

// GoodPrefix starts the id of every good record, so a test can tell them
// from anything a hostile case produced.
const GoodPrefix = "good-"

func goodSensor(i int) string {
	// Above the default threshold of 100, so the threshold detector flags
	// every good reading and each one shows in the anomalies output.
	return fmt.Sprintf(`{"device_id":"%s%03d","timestamp":"2025-06-01T10:%02d:%02dZ","temperature":%d.5,"humidity":40,"note":"keep \u00e9 \"as is\""}`,
		GoodPrefix, i, (i/60)%60, i%60, 150+i%7)
}

func goodReview(i int) string {
	return fmt.Sprintf(`{"review_id":"%s%03d","product_id":"p-%d","timestamp":"2025-06-01T10:%02d:%02dZ","rating":%d,"review_text":"The battery life is short and the screen %s","note":"keep \u00e9"}`,
		GoodPrefix, i, i%5, (i/60)%60, i%60, 1+i%5, strings.Repeat("really ", i%3)+"shines")
}

// sensorCases are hostile only under the reading schema.
func sensorCases() []Case {
	r := func(over map[string]string) string { return sensorRecord(over) }
	return []Case{
		bad("temperature-string", fr("temperature", "must be a number"), r(map[string]string{"temperature": `"hot"`})),
		bad("temperature-bool", fr("temperature", "must be a number"), r(map[string]string{"temperature": `true`})),
		bad("temperature-null", fr("temperature", "must be a number"), r(map[string]string{"temperature": `null`})),
		bad("temperature-array", fr("temperature", "must be a number"), r(map[string]string{"temperature": `[98.6]`})),
		bad("temperature-object", fr("temperature", "must be a number"), r(map[string]string{"temperature": `{"c":98.6}`})),
		bad("temperature-1e400", fr("temperature", "is not a finite number"), r(map[string]string{"temperature": `1e400`})),
		bad("temperature-minus-1e400", fr("temperature", "is not a finite number"), r(map[string]string{"temperature": `-1e400`})),
		bad("temperature-duplicated", fr("temperature", "appears more than once"), r(map[string]string{"temperature": `1,"temperature":2`})),
		bad("1e400-extra-number", "not a finite number", `{"device_id":"dev-bad","timestamp":0,"temperature":1,"extra":1e400}`),
		bad("minus-1e400-extra-number", "not a finite number", `{"device_id":"dev-bad","timestamp":0,"temperature":1,"extra":-1e400}`),
		bad("id-and-ts-missing", fr("device_id", "is required"), r(map[string]string{"device_id": "", "timestamp": ""})),
	}
}

// reviewCases are hostile only under the review schema.
func reviewCases() []Case {
	r := func(over map[string]string) string { return reviewRecord(over) }
	return []Case{
		bad("product-missing", fr("product_id", "is required"), r(map[string]string{"product_id": ""})),
		bad("product-number", fr("product_id", "must be a string"), r(map[string]string{"product_id": `12`})),
		bad("product-empty", fr("product_id", "must be 1-256 bytes"), r(map[string]string{"product_id": `""`})),
		bad("product-control", "control character", r(map[string]string{"product_id": `"p\u0007"`})),
		bad("rating-zero", fr("rating", "must be between 1 and 5"), r(map[string]string{"rating": `0`})),
		bad("rating-six", fr("rating", "must be between 1 and 5"), r(map[string]string{"rating": `6`})),
		bad("rating-negative", fr("rating", "must be between 1 and 5"), r(map[string]string{"rating": `-3`})),
		bad("rating-string", fr("rating", "must be a number"), r(map[string]string{"rating": `"5 stars"`})),
		bad("rating-bool", fr("rating", "must be a number"), r(map[string]string{"rating": `true`})),
		bad("rating-1e400", fr("rating", "is not a finite number"), r(map[string]string{"rating": `1e400`})),
		bad("text-missing", fr("review_text", "is required"), r(map[string]string{"review_text": ""})),
		bad("text-empty", fr("review_text", "is blank"), r(map[string]string{"review_text": `""`})),
		bad("text-whitespace", fr("review_text", "is blank"), r(map[string]string{"review_text": `" \t\n "`})),
		bad("text-control-only", fr("review_text", "is blank"), r(map[string]string{"review_text": `"\u0000\u0001\u001b"`})),
		bad("text-number", fr("review_text", "must be a string"), r(map[string]string{"review_text": `5`})),
		bad("text-null", fr("review_text", "must be a string"), r(map[string]string{"review_text": `null`})),
		bad("text-array", fr("review_text", "must be a string"), r(map[string]string{"review_text": `["great"]`})),
		bad("text-invalid-utf8", "not valid UTF-8", r(map[string]string{"review_text": "\"caf\xe9\""})),
		bad("text-duplicated", fr("review_text", "appears more than once"), r(map[string]string{"review_text": `"a","review_text":"b"`})),
	}
}

// Huge returns the records too big to commit, each a Bad case: a line just
// over the 1 MiB limit and a 10 MiB line, both otherwise valid JSON.
func Huge(pipeline string) []Case {
	valid := sensorRecord(nil)
	if pipeline == "reviews" {
		valid = reviewRecord(nil)
	}
	pad := func(n int) string {
		return valid[:len(valid)-1] + `,"padding":"` + strings.Repeat("x", n) + `"}`
	}
	return []Case{
		bad("line-over-1MiB", "over the 1048576-byte limit", pad(1<<20)),
		bad("line-10MiB", "over the 1048576-byte limit", pad(10<<20)),
	}
}
