package llm

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/beamlens/beamlens/internal/retry"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Retry-After": {"2"}}, 2 * time.Second},
		{http.Header{"Retry-After": {"0.5"}}, 500 * time.Millisecond},
		{http.Header{"Retry-After": {"2"}, "Retry-After-Ms": {"250"}}, 250 * time.Millisecond},
		{http.Header{"Retry-After": {now.Add(3 * time.Second).Format(http.TimeFormat)}}, 3 * time.Second},
		{http.Header{"Retry-After": {"soon"}}, 0},
		{http.Header{"Retry-After": {"-1"}}, 0},
		{http.Header{}, 0},
	} {
		if got := parseRetryAfter(c.h, now); got != c.want {
			t.Errorf("%v: got %s, want %s", c.h, got, c.want)
		}
	}
}

func TestFormatRejected(t *testing.T) {
	schema := formatIndex(FormatJSONSchema)
	for _, c := range []struct {
		err    error
		format int
		want   bool
	}{
		{&StatusError{StatusCode: 400, Message: "response_format type json_schema is not supported"}, schema, true},
		{&StatusError{StatusCode: 422, Message: "Unrecognized field json_schema"}, schema, true},
		{&StatusError{StatusCode: 400, Message: "context length exceeded"}, schema, false},
		{&StatusError{StatusCode: 500, Message: "response_format crashed us"}, schema, true},
		{&StatusError{StatusCode: 500, Message: `Unrecognized schema: {"additionalProperties":false}`}, schema, true},
		{&StatusError{StatusCode: 500, Message: "internal server error"}, schema, false},
		{&StatusError{StatusCode: 502, InBody: true, Message: "schema"}, schema, false},
		{&StatusError{StatusCode: 400, Message: "response_format"}, formatIndex(FormatText), false},
		{errors.New("response_format"), schema, false},
	} {
		if got := formatRejected(c.err, c.format); got != c.want {
			t.Errorf("%v (format %d): got %v", c.err, c.format, got)
		}
	}
}

func TestTransient(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&StatusError{StatusCode: 429}, true},
		{&StatusError{StatusCode: 503}, true},
		{&StatusError{StatusCode: 400}, false},
		{&StatusError{StatusCode: 401}, false},
		{&transportError{msg: "reset"}, true},
		{ErrUnavailable, true},
		{ErrBadAnswer, false},
	} {
		if got := retry.Transient(c.err); got != c.want {
			t.Errorf("%v: got %v", c.err, got)
		}
	}
}

func TestRedactor(t *testing.T) {
	r := &redactor{key: "sk-abcdefghijklmnopqrstuvwxyz"}
	for _, s := range []string{"key sk-abcdefghijklmnopqrstuvwxyz refused", "key sk-abcdefghijk...", "...lmnopqrstuvwxyz"} {
		if got := r.text(s); got == s {
			t.Errorf("%q kept the key", s)
		}
	}
	var none *redactor
	if none.text("x") != "x" {
		t.Error("nil redactor changed text")
	}
}

func TestCut(t *testing.T) {
	if got := cut("héllo", 2); got != "h" {
		t.Errorf("cut split a rune: %q", got)
	}
	if got := cut("abc", 10); got != "abc" {
		t.Errorf("got %q", got)
	}
}
