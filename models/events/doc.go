// Package events holds beamlens's record types - sensor readings, anomalies,
// reviews, reviews with themes, theme counts, theme alerts and dead letters -
// and their strict JSON decoding.
//
// Decoding is strict because every record must end in exactly one place: a
// record that is not exactly what the contract says becomes a *FieldError
// naming the field and the reason, which the pipelines turn into a dead letter.
// Parsing uses github.com/valyala/fastjson (validated first with its strict
// RFC 8259 validator, which rejects NaN and Infinity literals) because it is
// several times faster than encoding/json and keeps number text as written, so
// fields we do not know pass through byte for byte.
//
// The package is plain Go with no Beam import, so it is tested and benchmarked
// without a runner.
package events
