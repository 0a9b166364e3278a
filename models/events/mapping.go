package events

import (
	"fmt"
	"strings"

	"github.com/valyala/fastjson"
)

// Path is a field of a record: the keys to follow from the top-level
// object into nested objects. Written with dots between keys
// (state.reported.ts); a backslash escapes a dot, colon, comma or
// backslash that belongs to a key (a\.b is the one key "a.b").
type Path struct {
	keys []string
	text string
}

// String returns the path as written.
func (p Path) String() string { return p.text }

// Top reports whether the path is one top-level key, and which.
func (p Path) Top() (string, bool) {
	if len(p.keys) == 1 {
		return p.keys[0], true
	}
	return "", false
}

// ParsePath parses a dotted field path; see Path.
func ParsePath(s string) (Path, error) {
	if s == "" {
		return Path{}, fmt.Errorf("empty field path")
	}
	raw := splitRaw(s, '.', -1)
	keys := make([]string, len(raw))
	for i, k := range raw {
		u, err := unescape(k)
		if err != nil {
			return Path{}, fmt.Errorf("path %q: %v", s, err)
		}
		if u == "" {
			return Path{}, fmt.Errorf("path %q has an empty key (write a dot that is part of a key as \\.)", s)
		}
		keys[i] = u
	}
	return Path{keys: keys, text: s}, nil
}

// MustPath is ParsePath for paths known to be valid; it panics otherwise.
func MustPath(s string) Path {
	p, err := ParsePath(s)
	if err != nil {
		panic("events.MustPath: " + err.Error())
	}
	return p
}

// splitRaw splits s at unescaped sep bytes, at most n parts (n < 0: all),
// keeping the escapes in the parts.
func splitRaw(s string, sep byte, n int) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			if n < 0 || len(parts) < n-1 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// unescape removes the backslashes of a path key or metric name.
func unescape(s string) (string, error) {
	if strings.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			if i+1 == len(s) {
				return "", fmt.Errorf("a lone backslash at the end")
			}
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

// MetricSpec says where one metric is in a record and what it is called.
type MetricSpec struct {
	Path Path
	// Name is the metric's name in readings, anomalies and statistics;
	// the path as written when the spec gives none.
	Name string
}

// MetricsAll is the --metrics word for every numeric top-level field.
const MetricsAll = "all"

// ParseMetrics parses a comma-separated metrics spec: each item PATH or
// PATH:NAME (DHT11.Temperature:temperature), or the word all (every
// numeric top-level field, as when the spec is empty); all may be combined
// with paths. Several paths may give one name: the first one a record
// has wins (devices that nest the same metric differently). It returns the mapped metrics and whether top-level fields
// are metrics too.
func ParseMetrics(spec string) (mapped []MetricSpec, all bool, err error) {
	if strings.TrimSpace(spec) == "" {
		return nil, true, nil
	}
	for _, item := range splitRaw(spec, ',', -1) {
		item = strings.TrimSpace(item)
		if item == MetricsAll {
			all = true
			continue
		}
		pn := splitRaw(item, ':', 2)
		p, err := ParsePath(pn[0])
		if err != nil {
			return nil, false, fmt.Errorf("metric %q: %v", item, err)
		}
		name := p.text
		if len(pn) == 2 {
			if name, err = unescape(pn[1]); err != nil || name == "" {
				return nil, false, fmt.Errorf("metric %q: empty or malformed name after the colon", item)
			}
		}
		mapped = append(mapped, MetricSpec{Path: p, Name: name})
	}
	return mapped, all, nil
}

// lookup finds the value at p in o: nil when a key is missing or a step
// meets null or a scalar. array is true when a step (or the value) is an
// array, which paths do not index.
func lookup(o *fastjson.Object, p Path) (v *fastjson.Value, array bool) {
	v = o.Get(p.keys[0])
	for _, k := range p.keys[1:] {
		if v == nil {
			return nil, false
		}
		switch v.Type() {
		case fastjson.TypeObject:
			obj, _ := v.Object()
			v = obj.Get(k)
		case fastjson.TypeArray:
			return nil, true
		default:
			return nil, false
		}
	}
	if v != nil && v.Type() == fastjson.TypeArray {
		return v, true
	}
	return v, false
}
