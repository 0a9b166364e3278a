package llm

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Providers for Options.Provider.
const (
	// ProviderOpenAI speaks the OpenAI chat completions API at BaseURL:
	// OpenAI itself, vLLM, Ollama, a llama.cpp server, LiteLLM, ...
	ProviderOpenAI = "openai"
	// ProviderAzure speaks Azure OpenAI: BaseURL is the resource endpoint
	// (https://NAME.openai.azure.com), Model the deployment name, and the key
	// travels in the api-key header.
	ProviderAzure = "azure"
)

// Response formats for Options.ResponseFormat, from the strictest down.
const (
	// FormatJSONSchema sends the answer's JSON schema as response_format
	// (structured output).
	FormatJSONSchema = "json_schema"
	// FormatJSONObject asks for JSON mode (response_format json_object).
	FormatJSONObject = "json_object"
	// FormatText sends no response_format and finds the JSON in the text.
	FormatText = "text"
)

var formats = []string{FormatJSONSchema, FormatJSONObject, FormatText}

// Roles for Options.SystemRole: the role the instructions travel in.
const (
	// RoleSystem sends the instructions as a "system" message.
	RoleSystem = "system"
	// RoleDeveloper sends them as a "developer" message (OpenAI's o1 and
	// later reasoning models).
	RoleDeveloper = "developer"
	// RoleUser folds them into the user message, for models and chat
	// templates that accept no system message (o1-mini, o1-preview, some
	// local templates).
	RoleUser = "user"
)

var roles = []string{RoleSystem, RoleDeveloper, RoleUser}

// Options configures an OpenAIExtractor. The zero value is the default
// configuration; every field says its default. Options holds no secret -
// only where to find one - so a Beam DoFn may keep it in an exported field.
type Options struct {
	// Provider is ProviderOpenAI or ProviderAzure. Default ProviderOpenAI.
	Provider string
	// BaseURL is the API's base URL, ending before /chat/completions.
	// Default "https://api.openai.com/v1"; for vLLM e.g.
	// "http://localhost:8000/v1", Ollama "http://localhost:11434/v1", a
	// llama.cpp server "http://localhost:8080/v1". Required for Azure.
	BaseURL string
	// Model is the model name (the deployment name for Azure).
	// Default "gpt-4o-mini".
	Model string
	// AzureAPIVersion is the api-version query parameter for Azure.
	// Default "2024-10-21", the first GA version with structured outputs.
	AzureAPIVersion string

	// APIKeyFile is a file holding the API key (surrounding white space is
	// trimmed). When set it wins over APIKeyEnv. Default: none.
	APIKeyFile string
	// APIKeyEnv is the environment variable holding the API key.
	// Default "OPENAI_API_KEY".
	APIKeyEnv string
	// NoAPIKey lets the extractor run without a key, for local servers that
	// need none. Default false: no key is ErrNoAPIKey.
	NoAPIKey bool

	// BatchSize is the most reviews in one request. Default 20.
	BatchSize int
	// MaxBatchTokens is the most estimated tokens (bytes/4) of review text
	// in one request; a single longer review travels alone. Default 4,000.
	MaxBatchTokens int
	// MaxTextBytes cuts longer review texts (at a rune boundary) before they
	// are sent: themes are in the first pages. Default 8,192.
	MaxTextBytes int
	// MaxConcurrency is the most requests in flight at once, across all
	// calls of the extractor. Default 4.
	MaxConcurrency int
	// RequestsPerMinute limits requests on the client side: the account's
	// limit. Default 500 (OpenAI's usage tier 1 for gpt-4o-mini); negative
	// means no limit. Requests start evenly spaced, 60s/RequestsPerMinute
	// apart plus a margin of 2% that each 429 widens by up to 2 ms, never
	// beyond 20%: RequestBurst of them may go out back to back.
	RequestsPerMinute int
	// RequestBurst is how many requests may go out at once after a quiet
	// moment. Default 1: requests at least 60s/RequestsPerMinute apart,
	// which a server enforcing its budget per second, or strictly, accepts.
	RequestBurst int
	// TokensPerMinute limits estimated prompt and completion tokens on the
	// client side. Default 200,000 (OpenAI's usage tier 1 for gpt-4o-mini);
	// negative means no limit.
	TokensPerMinute int

	// RequestTimeout bounds one request, retries apart. Default 60s.
	RequestTimeout time.Duration
	// MaxRetries is how often one request is retried after a 429, a 5xx, a
	// timeout or a broken connection before the call fails. Default 5;
	// negative means none.
	MaxRetries int
	// MaxAnswerRetries is how often reviews whose answer broke the wire
	// contract (missing, unparsable) are asked again before they fail with
	// ErrBadAnswer. Default 2; negative means none.
	MaxAnswerRetries int
	// InitialBackoff is the first retry's wait, doubled on each further
	// retry; each wait is drawn within ±50% of that (internal/retry).
	// Default 500ms.
	InitialBackoff time.Duration
	// MaxBackoff caps the doubling: the waits draw within ±50% of it from
	// then on. Default 30s.
	MaxBackoff time.Duration
	// MaxRetryAfter caps a wait the service asks for with Retry-After.
	// Default 60s.
	MaxRetryAfter time.Duration
	// GiveUpAfter bounds an outage: when the service has failed every
	// request (5xx, timeouts, refused connections) for this long, the
	// reviews still waiting fail with a *GaveUpError instead of waiting
	// for the circuit breaker's next probe. Default 0: wait for ever (a
	// streaming job); negative is the same.
	GiveUpAfter time.Duration

	// CacheSize is the number of answers kept, keyed by the normalised
	// review text, so a repeated review costs no request. Default 10,000;
	// negative disables the cache.
	CacheSize int

	// ResponseFormat is the first answer format tried: FormatJSONSchema,
	// FormatJSONObject or FormatText. A server that rejects response_format
	// with a 400 is asked again one step down, and the extractor stays
	// there. Default FormatJSONSchema.
	ResponseFormat string
	// Themes are the labels the prompt asks the model to prefer when they
	// fit. Default DefaultThemes.
	Themes []string
	// Instructions replaces the system prompt's task description; the
	// answer format is always appended. Default: a built-in prompt.
	Instructions string
	// SystemRole is the role the instructions travel in: RoleSystem,
	// RoleDeveloper or RoleUser. A server that rejects the system role
	// with a 400 naming it is asked again with RoleUser, and the extractor
	// stays there. Default RoleSystem.
	SystemRole string
	// MaxCompletionTokens is sent as max_completion_tokens when positive.
	// Default 0: not sent.
	MaxCompletionTokens int
	// Temperature is sent when positive. Default 0: not sent (the server's
	// default).
	Temperature float32

	// HTTPClient sends the requests. Default: a client of its own with a
	// connection pool sized to MaxConcurrency. Not serialised.
	HTTPClient *http.Client `json:"-"`
	// Logger receives retries, downgrades and failures, never the key nor
	// review text. Default slog.Default(). Not serialised.
	Logger *slog.Logger `json:"-"`
}

func (o Options) withDefaults() Options {
	o.Provider = cmp.Or(o.Provider, ProviderOpenAI)
	if o.Provider == ProviderOpenAI {
		o.BaseURL = cmp.Or(o.BaseURL, "https://api.openai.com/v1")
	}
	o.Model = cmp.Or(o.Model, "gpt-4o-mini")
	o.AzureAPIVersion = cmp.Or(o.AzureAPIVersion, "2024-10-21")
	o.APIKeyEnv = cmp.Or(o.APIKeyEnv, "OPENAI_API_KEY")
	o.BatchSize = cmp.Or(o.BatchSize, 20)
	o.MaxBatchTokens = cmp.Or(o.MaxBatchTokens, 4000)
	o.MaxTextBytes = cmp.Or(o.MaxTextBytes, 8192)
	o.MaxConcurrency = cmp.Or(o.MaxConcurrency, 4)
	o.RequestsPerMinute = cmp.Or(o.RequestsPerMinute, 500)
	o.TokensPerMinute = cmp.Or(o.TokensPerMinute, 200_000)
	o.RequestTimeout = cmp.Or(o.RequestTimeout, 60*time.Second)
	o.MaxRetries = cmp.Or(o.MaxRetries, 5)
	o.MaxAnswerRetries = cmp.Or(o.MaxAnswerRetries, 2)
	o.InitialBackoff = cmp.Or(o.InitialBackoff, 500*time.Millisecond)
	o.MaxBackoff = cmp.Or(o.MaxBackoff, 30*time.Second)
	o.MaxRetryAfter = cmp.Or(o.MaxRetryAfter, 60*time.Second)
	o.CacheSize = cmp.Or(o.CacheSize, 10_000)
	o.ResponseFormat = cmp.Or(o.ResponseFormat, FormatJSONSchema)
	o.SystemRole = cmp.Or(o.SystemRole, RoleSystem)
	o.RequestBurst = cmp.Or(o.RequestBurst, 1)
	if len(o.Themes) == 0 {
		o.Themes = DefaultThemes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Validate reports the first thing wrong with o, as
// "llm.Options: FIELD ...". It does not look for the API key.
func (o Options) Validate() error {
	o = o.withDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("llm.Options: "+format, args...)
	}
	switch o.Provider {
	case ProviderOpenAI, ProviderAzure:
	default:
		return bad("Provider must be %q or %q, got %q", ProviderOpenAI, ProviderAzure, o.Provider)
	}
	u, err := url.Parse(o.BaseURL)
	if o.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("BaseURL must be an absolute http(s) URL, got %q", redactURL(o.BaseURL))
	}
	for _, f := range []struct {
		name string
		v    int
		min  int
	}{
		{"BatchSize", o.BatchSize, 1}, {"MaxBatchTokens", o.MaxBatchTokens, 1},
		{"MaxTextBytes", o.MaxTextBytes, 16}, {"MaxConcurrency", o.MaxConcurrency, 1},
		{"MaxCompletionTokens", o.MaxCompletionTokens, 0}, {"RequestBurst", o.RequestBurst, 1},
	} {
		if f.v < f.min {
			return bad("%s must be at least %d, got %d", f.name, f.min, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{
		{"RequestTimeout", o.RequestTimeout}, {"InitialBackoff", o.InitialBackoff},
		{"MaxBackoff", o.MaxBackoff}, {"MaxRetryAfter", o.MaxRetryAfter},
	} {
		if f.v < 0 {
			return bad("%s must not be negative, got %s", f.name, f.v)
		}
	}
	if o.MaxBackoff < o.InitialBackoff {
		return bad("MaxBackoff (%s) is below InitialBackoff (%s)", o.MaxBackoff, o.InitialBackoff)
	}
	if formatIndex(o.ResponseFormat) < 0 {
		return bad("ResponseFormat must be one of %q, got %q", formats, o.ResponseFormat)
	}
	if !slices.Contains(roles, o.SystemRole) {
		return bad("SystemRole must be one of %q, got %q", roles, o.SystemRole)
	}
	if o.Provider == ProviderAzure && o.AzureAPIVersion == "" {
		return bad("AzureAPIVersion must be set for Azure")
	}
	if o.Temperature < 0 || o.Temperature > 2 {
		return bad("Temperature must be between 0 and 2, got %g", o.Temperature)
	}
	return nil
}

func formatIndex(f string) int {
	for i, x := range formats {
		if x == f {
			return i
		}
	}
	return -1
}

// redactURL drops a URL's user information, which may hold a password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User == nil {
		return s
	}
	u.User = url.User("REDACTED")
	return u.String()
}
