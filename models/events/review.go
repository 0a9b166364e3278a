package events

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// Review is one product review. Raw keeps the record as it arrived so that
// unknown fields pass through to the enriched output.
type Review struct {
	ReviewID    string
	ProductID   string
	EventTimeMs int64
	// Rating is 1-5 when HasRating is set.
	Rating    float64
	HasRating bool
	Text      string
	Raw       []byte
	// Source locates the record (see Raw.Source), for dead letters.
	Source string
}

// EventTime returns the review's timestamp.
func (r Review) EventTime() time.Time { return time.UnixMilli(r.EventTimeMs).UTC() }

// ReviewDecoder decodes reviews strictly. Not safe for concurrent use.
type ReviewDecoder struct {
	Options DecodeOptions
	parser  fastjson.Parser
	// scratch holds a number's text while the record is checked.
	scratch []byte
	c       *compiled
	frames  unframer
}

// Decode parses one review (field names are DecodeOptions's defaults):
// review_id and product_id are strings of 1-256 bytes, timestamp as for
// readings, rating (optional) a number, or a plain decimal string, from 1 to
// 5, review_text a string that is not blank. Errors are *FieldError.
func (d *ReviewDecoder) Decode(raw []byte) (Review, error) {
	if d.c == nil {
		d.c = mustCompile(d.Options)
	}
	c := d.c
	raw, err := d.frames.unframe(raw, c.opts.SchemaRegistry)
	if err != nil {
		return Review{}, err
	}
	raw = TrimRecord(raw)
	o, err := parseObject(&d.parser, raw, &d.scratch)
	if err != nil {
		return Review{}, err
	}
	var r Review
	id, err := requiredID(o, c.review.id)
	if err != nil {
		return Review{}, err
	}
	product, err := requiredID(o, c.review.product)
	if err != nil {
		return Review{}, err
	}
	r.ReviewID, r.ProductID = string(id), string(product)
	if r.EventTimeMs, err = c.eventTime(o); err != nil {
		return Review{}, err
	}
	ratingField := c.review.rating.text
	if v, array := lookup(o, c.review.rating); array || (v != nil && v.Type() != fastjson.TypeNull) {
		if array {
			return Review{}, fieldErr(ratingField, "must be a number, got array")
		}
		f, _, err := metricNumber(v, ratingField)
		if err != nil {
			return Review{}, err
		}
		if f < 1 || f > 5 {
			return Review{}, fieldErr(ratingField, "must be between 1 and 5, got %g", f)
		}
		r.Rating, r.HasRating = f, true
	}
	textField := c.review.text.text
	v, _ := lookup(o, c.review.text)
	if v == nil {
		return Review{}, fieldErr(textField, "is required")
	}
	if v.Type() != fastjson.TypeString {
		return Review{}, fieldErr(textField, "must be a string, got %s", v.Type())
	}
	b, _ := v.StringBytes()
	if !utf8.Valid(b) {
		return Review{}, fieldErr(textField, "is not valid UTF-8")
	}
	if isBlank(string(b)) {
		return Review{}, fieldErr(textField, "is blank")
	}
	r.Text = string(b)
	r.Raw = append([]byte(nil), raw...)
	return r, nil
}

// ReviewWithThemes is a review enriched with the themes an extractor found,
// lower case and normalised.
type ReviewWithThemes struct {
	Review Review
	Themes []string
}

// AppendJSON appends the review's own fields followed by "themes".
func (r ReviewWithThemes) AppendJSON(dst []byte) []byte {
	raw := r.Review.Raw
	body := []byte(nil)
	if len(raw) >= 2 {
		body = raw[1 : len(raw)-1]
		if bytes.Contains(raw, []byte(`"themes"`)) {
			var p fastjson.Parser
			if v, err := p.ParseBytes(raw); err == nil {
				if o, err := v.Object(); err == nil {
					o.Del("themes")
					b := v.MarshalTo(nil)
					body = b[1 : len(b)-1]
				}
			}
		}
	}
	dst = append(dst, '{')
	dst = append(dst, body...)
	if len(bytes.TrimSpace(body)) > 0 {
		dst = append(dst, ',')
	}
	dst = append(dst, `"themes":`...)
	dst = appendStrings(dst, r.Themes)
	return append(dst, '}')
}

// NormaliseTheme lower-cases a theme and collapses its white space, so
// "Battery  Life" and "battery life" count as one.
func NormaliseTheme(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

func appendStrings(dst []byte, ss []string) []byte {
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, s)
	}
	return append(dst, ']')
}
