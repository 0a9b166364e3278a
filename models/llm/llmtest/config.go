package llmtest

import "time"

// Mode is how the server answers one request.
type Mode int

// The modes. Every mode but OK is a fault.
const (
	// OK answers the wire contract with the offline model's themes.
	OK Mode = iota
	// RateLimit answers 429 with Retry-After and retry-after-ms.
	RateLimit
	// ServerError answers 500, 502 or 503 in turn.
	ServerError
	// Timeout holds the request until the client gives up (or HangFor
	// passes, then answers 504).
	Timeout
	// Reset closes the connection without an answer (TCP RST).
	Reset
	// Garbage answers 200 with content that is not JSON.
	Garbage
	// MissingID answers 200 leaving out the last review.
	MissingID
	// ExtraID answers 200 with every review and one id nobody asked for.
	ExtraID
	// WrongSchema answers 200 with JSON that breaks the schema: the first
	// review's themes are a string, and the array is not under "reviews"
	// for a batch of one.
	WrongSchema
	// BrokenBody answers 200 with an HTTP body that is not a chat
	// completion.
	BrokenBody
	// Refusal answers 200 with content null and a refusal message, as
	// OpenAI's structured outputs decline a request.
	Refusal
	// ErrorBody answers 200 with {"error": {"message", "code": 502}} and no
	// choices, as routing gateways report an upstream failure.
	ErrorBody
	// NullContent answers 200 with content null and a reasoning_content,
	// as a reasoning model that spent its tokens thinking.
	NullContent
	numModes
)

var modeNames = [...]string{"ok", "rate-limit", "server-error", "timeout", "reset",
	"garbage", "missing-id", "extra-id", "wrong-schema", "broken-body", "refusal", "error-body", "null-content"}

func (m Mode) String() string {
	if m < 0 || m >= numModes {
		return "mode(?)"
	}
	return modeNames[m]
}

// Config shapes a Server. The zero value is a well-behaved, instant server.
type Config struct {
	// Seed seeds the draws of the fault probabilities. Default 0.
	Seed uint64
	// Latency is added to every answer, LatencyPerReview for each review
	// in the request. Default 0.
	Latency, LatencyPerReview time.Duration

	// Per-request probabilities of each fault, drawn in this order from one
	// uniform number; they should add up to at most 1. Default 0.
	RateLimitProb, ServerErrorProb, TimeoutProb, ResetProb                   float64
	GarbageProb, MissingIDProb, ExtraIDProb, WrongSchemaProb, BrokenBodyProb float64

	// RetryAfter is the wait a 429 asks for. Default 1s.
	RetryAfter time.Duration
	// RequestsPerMinute is a budget above which requests get a 429 whose
	// Retry-After is the wait until the next one is allowed. A request
	// counts when it arrives (after the key check, before its body is
	// read), whatever the answer. Default 0: no budget.
	RequestsPerMinute int
	// Burst is how many requests the budget lets through at once.
	// Default 1.
	Burst int
	// RejectResponseFormat makes the server refuse, with a 400 naming
	// response_format, requests whose response_format is "json_schema"
	// (when set to "json_schema") or any response_format ("any"), as
	// llama.cpp and older vLLM builds do. Default "": accept all.
	RejectResponseFormat string
	// RefuseText makes the server refuse, with a 400 as a content filter
	// would, every request holding a review whose text contains it.
	// Default "": refuse none.
	RefuseText string
	// RejectStatus is the status of a response_format refusal: 400, or 500
	// as servers whose grammar engine cannot compile the schema answer
	// ("Unrecognized schema"). Default 400.
	RejectStatus int
	// TriggerText makes every request holding a review whose text
	// contains it answer with TriggerMode (a refusal, an error body, prose:
	// one review spoiling its batch). Default "": none.
	TriggerText string
	TriggerMode Mode
	// MaxRequestBytes makes the server answer a request whose body is
	// longer with a context overflow ("exceed_context_size_error"), with
	// status ContextStatus, as a llama.cpp server with a small context
	// does. Default 0: no limit.
	MaxRequestBytes int
	// ContextStatus is the status of a context overflow: 400, or 500 as
	// some llama.cpp builds send. Default 400.
	ContextStatus int
	// RejectSystemRole makes the server refuse any request holding a
	// system message with a 400 naming messages[0].role, as o1-mini and
	// some chat templates do. Default false.
	RejectSystemRole bool
	// Reasoning writes a reasoning model's <think>...</think> block, which
	// quotes the answer format braces and all, before every answer.
	// Default false.
	Reasoning bool
	// RequireAzure makes the server answer 401 unless the request has an
	// api-key header and an api-version query parameter, as a classic Azure
	// OpenAI deployment does. Default false.
	RequireAzure bool
	// HangFor bounds a Timeout. Default 30s.
	HangFor time.Duration

	// APIKey, when set, must come as "Authorization: Bearer KEY" (or in the
	// api-key header, Azure's); a wrong key gets a 401 that quotes it, as
	// OpenAI's does. Default "": no check.
	APIKey string
	// Themes finds a review's themes. Default: the llm package's offline
	// model.
	Themes func(text string) []string
}
