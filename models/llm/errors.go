package llm

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/beamlens/beamlens/internal/retry"
)

var (
	// ErrBlankText is the per-item error of an item whose text is blank.
	ErrBlankText = errors.New("llm: review text is blank")
	// ErrBadAnswer is wrapped by the per-item error of an item whose answer
	// never followed the wire contract (missing id, broken schema, not JSON)
	// within the allowed retries.
	ErrBadAnswer = errors.New("llm: answer does not follow the wire contract")
	// ErrRejected is wrapped by the per-item error of an item the service
	// refused with a 4xx status on its own, even in a request of one review
	// (too long, filtered content).
	ErrRejected = errors.New("llm: service rejected the review")
	// ErrNoAPIKey is returned by NewOpenAIExtractor when neither
	// Options.APIKeyFile nor the environment variable Options.APIKeyEnv holds
	// a key and Options.NoAPIKey is not set.
	ErrNoAPIKey = errors.New("llm: no API key")
	// ErrUnavailable is wrapped by the error of a call whose requests kept
	// failing with retryable errors (429, 5xx, timeouts, broken connections)
	// until the retries ran out.
	ErrUnavailable error = transientSentinel("llm: service unavailable")
	// ErrGaveUp is wrapped by the per-item error (a *GaveUpError) of a
	// review left unenriched because the service stayed down for longer
	// than Options.GiveUpAfter.
	ErrGaveUp = errors.New("llm: gave up waiting for the service")
	// ErrNotCovered is wrapped by the per-item error of a review the
	// offline model cannot read: written in a language or script its
	// lexicon does not cover.
	ErrNotCovered = errors.New("llm: offline model does not cover the review's language")
)

// StatusError is an HTTP error answer of the service. Message is the
// service's message with the API key, should it be echoed, redacted.
type StatusError struct {
	StatusCode int
	Message    string
	// Param is the request parameter the service blamed, when it said.
	Param string
	// RetryAfter is the wait the service asked for (Retry-After or
	// retry-after-ms), zero when it did not say.
	RetryAfter time.Duration
	// InBody is set when the error came as the body of an HTTP 200 (as
	// routing gateways report an upstream failure); StatusCode is then the
	// code the body named, 0 when it named none.
	InBody bool
}

func (e *StatusError) Error() string {
	s := "llm: status " + strconv.Itoa(e.StatusCode)
	if e.InBody {
		s = "llm: HTTP 200 carrying an error"
		if e.StatusCode != 0 {
			s += " (code " + strconv.Itoa(e.StatusCode) + ")"
		}
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// Transient reports whether the service may answer a later try: a rate
// limit, a timeout or a server error (retry.TransientStatus).
func (e *StatusError) Transient() bool { return retry.TransientStatus(e.StatusCode) }

// transientSentinel is a sentinel error that retry.Transient retries.
type transientSentinel string

func (e transientSentinel) Error() string { return string(e) }
func (transientSentinel) Transient() bool { return true }

// transportError is a request that got no HTTP answer: a timeout, a reset or
// refused connection. Its text is already redacted.
type transportError struct{ msg string }

func (e *transportError) Error() string   { return "llm: transport: " + e.msg }
func (e *transportError) Transient() bool { return true }

// answerError is a 200 answer that broke the wire contract as a whole.
type answerError struct{ reason string }

func (e *answerError) Error() string { return ErrBadAnswer.Error() + ": " + e.reason }
func (e *answerError) Unwrap() error { return ErrBadAnswer }
