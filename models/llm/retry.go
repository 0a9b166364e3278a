package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/beamlens/beamlens/internal/retry"
	openai "github.com/sashabaranov/go-openai"
)

// retryDelay is the wait before retry n after err: what the service asked
// for (capped at MaxRetryAfter, plus up to a tenth of jitter), else the
// backoff of internal/retry.
func (e *OpenAIExtractor) retryDelay(n int, err error) time.Duration {
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter > 0 {
		d := min(se.RetryAfter, e.opts.MaxRetryAfter)
		return d + rand.N(d/10+1)
	}
	return retry.Nth(n, e.opts.InitialBackoff, e.opts.MaxBackoff)
}

// parseRetryAfter reads how long a service asked us to wait: retry-after-ms
// (OpenAI, Azure), else Retry-After in seconds or as an HTTP date.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// callInfo carries what the HTTP layer saw of one request back past
// go-openai, whose errors drop the response headers.
type callInfo struct {
	status     int
	retryAfter time.Duration
	// bodyError is the error object of a 200 whose body is {"error": ...}
	// with no choices, which go-openai would read as an empty completion.
	bodyError *StatusError
}

type callInfoKey struct{}

// infoDoer is the go-openai HTTPDoer: it records each response's status and
// Retry-After into the request context's *callInfo.
type infoDoer struct{ client *http.Client }

func (d infoDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.client.Do(req)
	if resp != nil {
		if ci, ok := req.Context().Value(callInfoKey{}).(*callInfo); ok {
			ci.status = resp.StatusCode
			ci.retryAfter = parseRetryAfter(resp.Header, time.Now())
			if resp.StatusCode == http.StatusOK && err == nil {
				err = peekBodyError(resp, ci)
			}
		}
	}
	return resp, err
}

// maxAnswerBytes bounds the body of one answer read into memory.
const maxAnswerBytes = 16 << 20

// peekBodyError reads a 200's body, notes an error object standing in for
// the completion, and puts the body back for go-openai.
func peekBodyError(resp *http.Response, ci *callInfo) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return err
	}
	var probe struct {
		Error   json.RawMessage   `json:"error"`
		Choices []json.RawMessage `json:"choices"`
	}
	if json.Unmarshal(body, &probe) != nil || len(probe.Error) == 0 || string(probe.Error) == "null" || len(probe.Choices) > 0 {
		return nil
	}
	var e struct {
		Message string          `json:"message"`
		Code    json.RawMessage `json:"code"`
		Type    string          `json:"type"`
	}
	if json.Unmarshal(probe.Error, &e) != nil {
		e.Message = string(probe.Error) // a bare string
		if s := ""; json.Unmarshal(probe.Error, &s) == nil {
			e.Message = s
		}
	}
	se := &StatusError{InBody: true, Message: strings.TrimSpace(e.Message)}
	code := strings.Trim(string(e.Code), `"`)
	if n, err := strconv.Atoi(code); err == nil {
		se.StatusCode = n
	} else if code != "" && code != "null" {
		se.Message = strings.TrimSpace(code + ": " + se.Message)
	}
	if e.Type != "" && !strings.Contains(se.Message, e.Type) {
		se.Message = strings.TrimSpace(se.Message + " (" + e.Type + ")")
	}
	if se.Message == "" {
		se.Message = "no message"
	}
	ci.bodyError = se
	return nil
}

// classify turns a go-openai error into a *StatusError (an HTTP error
// answer), a *transportError (no answer, or a broken one) or an
// *answerError (a 200 whose body is not a chat completion), with the key
// redacted from every text.
func (e *OpenAIExtractor) classify(err error, info *callInfo) error {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode > 0:
		se := &StatusError{StatusCode: apiErr.HTTPStatusCode, Message: e.redact.text(apiErr.Message), RetryAfter: info.retryAfter}
		if apiErr.Param != nil {
			se.Param = *apiErr.Param
		}
		return se
	case errors.As(err, &reqErr):
		msg := string(reqErr.Body)
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		return &StatusError{StatusCode: reqErr.HTTPStatusCode, Message: e.redact.text(strings.TrimSpace(msg)), RetryAfter: info.retryAfter}
	case isTransport(err) || info.status == 0:
		return &transportError{msg: e.redact.text(err.Error())}
	default:
		return &answerError{reason: "response is not a chat completion: " + e.redact.text(err.Error())}
	}
}

func isTransport(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, context.DeadlineExceeded)
}

// formatRejected reports whether err is a server refusing the
// response_format we sent: llama.cpp, older vLLM and Ollama builds and many
// proxies answer 400 or 422 naming it; servers whose grammar engine cannot
// compile the schema (llama-cpp-python) answer 500 naming it.
func formatRejected(err error, format int) bool {
	var se *StatusError
	if format >= formatIndex(FormatText) || !errors.As(err, &se) || se.InBody ||
		(se.StatusCode != 400 && se.StatusCode != 422 && se.StatusCode < 500) {
		return false
	}
	m := strings.ToLower(se.Message)
	for _, w := range []string{"response_format", "response format", "json_schema", "json_object", "structured output", "schema", "guided"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

// roleRejected reports whether err is a model refusing the system role
// (o1-mini, o1-preview, some local chat templates): a 400 naming the role.
func roleRejected(err error, role string) bool {
	var se *StatusError
	if role == RoleUser || !errors.As(err, &se) || se.StatusCode != 400 {
		return false
	}
	m := strings.ToLower(se.Message + " " + se.Param)
	return strings.Contains(m, "role") && (strings.Contains(m, role) || strings.Contains(m, "system"))
}

// sizeFault reports whether err is a server saying the request is too big
// for it, whatever status it chose: llama.cpp answers a context overflow
// with 400 or 500 ("exceed_context_size_error"), others 413. Such a
// request is not retried as it is: its batch is halved.
func sizeFault(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	if se.StatusCode == http.StatusRequestEntityTooLarge {
		return true
	}
	if se.StatusCode < 400 || se.StatusCode == http.StatusTooManyRequests {
		return false
	}
	m := strings.ToLower(se.Message)
	for _, w := range []string{"context size", "context length", "context window", "exceed_context", "n_ctx",
		"too many tokens", "prompt is too long", "too long", "too large", "maximum context"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

// transientBody reports whether an error carried by a 200 looks like the
// upstream being down or busy (worth retrying and, when it persists, an
// outage) rather than something about this request's reviews.
func transientBody(se *StatusError) bool {
	if se.StatusCode == http.StatusTooManyRequests || se.StatusCode == http.StatusServiceUnavailable ||
		se.StatusCode == http.StatusGatewayTimeout {
		return true
	}
	m := strings.ToLower(se.Message)
	for _, w := range []string{"overloaded", "rate limit", "unavailable", "timed out", "timeout", "try again", "capacity"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
