package events

import (
	"fmt"
	"strings"

	"github.com/valyala/fastjson"
)

// maxListedFields caps the field names a missing-metric reason lists.
const maxListedFields = 12

// checkRequired rejects a reading that carries none of the required
// metrics, naming them and the top-level fields the record did have, and
// notes what it saw for the decoder's one-off hint.
func (d *ReadingDecoder) checkRequired(o *fastjson.Object, metrics []Metric) error {
	req := d.c.opts.Required
	if len(req) == 0 {
		return nil
	}
	h := &d.hint
	if h.seen < hintSample {
		h.seen++
	}
	for _, m := range metrics {
		for _, r := range req {
			if m.Name == r {
				return nil
			}
		}
	}
	if h.seen <= hintSample {
		h.missing++
		if h.best == "" || h.dist > 0 {
			h.consider(o, req[0], "", 0)
		}
	}
	var b strings.Builder
	if len(req) == 1 {
		fmt.Fprintf(&b, "missing metric %q", req[0])
	} else {
		b.WriteString("missing metrics ")
		for i, r := range req {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", r)
		}
	}
	b.WriteString("; fields present: ")
	devTop, _ := d.c.device.Top()
	n := 0
	o.Visit(func(k []byte, _ *fastjson.Value) {
		if string(k) == devTop || string(k) == d.c.tsTop {
			return
		}
		switch {
		case n < maxListedFields:
			if n > 0 {
				b.WriteString(", ")
			}
			b.WriteString(shorten(string(k), 64))
		case n == maxListedFields:
			b.WriteString(", ...")
		}
		n++
	})
	if n == 0 {
		b.WriteString("none")
	}
	return &FieldError{Reason: b.String()}
}

// requiredMet reports whether metrics hold one of the required metrics,
// and then counts the reading toward the hint as checkRequired does; when
// false it leaves the hint alone (the full path checks the reading again).
func (d *ReadingDecoder) requiredMet(metrics []Metric) bool {
	req := d.c.opts.Required
	if len(req) == 0 {
		return true
	}
	for _, m := range metrics {
		for _, r := range req {
			if m.Name == r {
				if d.hint.seen < hintSample {
					d.hint.seen++
				}
				return true
			}
		}
	}
	return false
}

// hintSample is how many of a decoder's first readings judge whether the
// scored metric is missing from most of them.
const hintSample = 20

// missingHint watches a decoder's first readings for a scored metric that
// is missing from most of them, and remembers the field most like it.
type missingHint struct {
	seen, missing int
	best          string
	dist          int
	given         bool
}

// consider looks through o, two levels deep, for the field whose key is
// most like want (case-insensitive, within two edits).
func (h *missingHint) consider(o *fastjson.Object, want, prefix string, depth int) {
	o.Visit(func(k []byte, v *fastjson.Value) {
		p := prefix + strings.NewReplacer(`\`, `\\`, ".", `\.`, ",", `\,`, ":", `\:`).Replace(string(k))
		switch v.Type() {
		case fastjson.TypeObject:
			if depth < 2 {
				sub, _ := v.Object()
				h.consider(sub, want, p+".", depth+1)
			}
		case fastjson.TypeNumber, fastjson.TypeString:
			dd := editDistance(strings.ToLower(string(k)), strings.ToLower(want))
			if dd <= 2 && (h.best == "" || dd < h.dist) {
				h.best, h.dist = p, dd
			}
		}
	})
}

// MissingHint returns, once per decoder, a line for a person when most of
// the decoder's first readings lacked the scored metric: how many, and the
// field most like it with the --metrics that would map it. It judges after
// 20 readings, or at once when final (the input was shorter). Empty when
// there is nothing to say.
func (d *ReadingDecoder) MissingHint(final bool) string {
	h := &d.hint
	if h.given || d.c == nil || len(d.c.opts.Required) == 0 || h.seen == 0 {
		return ""
	}
	if h.seen < hintSample && !final {
		return ""
	}
	h.given = true
	if h.missing*2 <= h.seen {
		return ""
	}
	want := d.c.opts.Required[0]
	msg := fmt.Sprintf("%d of the first %d readings have no metric %q", h.missing, h.seen, want)
	if h.best != "" {
		msg += fmt.Sprintf("; did you mean %s? (--metrics=%s:%s)", h.best, h.best, want)
	} else {
		msg += "; map it with --metrics=PATH:" + want
	}
	return msg
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
