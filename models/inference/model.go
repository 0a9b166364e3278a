package inference

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/beamlens/beamlens/internal/secret"
)

// Model scores batches of feature rows. Implementations are safe for
// concurrent use.
type Model interface {
	// Width is the number of features a row has, as the model declares
	// it; 0 when the model does not say (a server without metadata).
	Width() int
	// Predict scores n rows of x, row-major, Width values each (x has
	// n*width values). A transient failure is retried inside Predict; the
	// error it returns is final for this call: a *RequestError when the
	// model refused the rows, ctx's error, or the last transient error
	// once GiveUpAfter has passed (IsGaveUp).
	Predict(ctx context.Context, x []float32, n int) (Prediction, error)
	// Close releases the model (a session, idle connections).
	Close() error
}

// Prediction is a model's answer for a batch, one value per row in order.
// Either slice may be nil when the model gives no such output.
type Prediction struct {
	// Labels are the predicted classes: -1 outlier / 1 inlier
	// (scikit-learn) or 1 outlier / 0 inlier (PyOD).
	Labels []int64
	// Scores are the model's continuous outputs (scikit-learn's
	// decision_function: below 0 is an outlier; PyOD's: higher is more
	// abnormal).
	Scores []float64
}

// Options configures Open. The zero value is the defaults.
type Options struct {
	// Width is the number of features each row has (the --metrics given).
	// Open fails when the model declares another. Required.
	Width int
	// Timeout bounds each request to a server. Default 30s.
	Timeout time.Duration
	// Concurrency bounds the requests in flight to a server, across all
	// callers of one Model. Default 4.
	Concurrency int
	// InitialBackoff is the first retry's wait, growing exponentially with
	// jitter up to MaxBackoff. Defaults 200ms and 10s.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// GiveUpAfter bounds how long one batch keeps retrying a server that
	// fails; then Predict fails with the last error (IsGaveUp). Default 0:
	// retry for ever, so an outage pauses the stream.
	GiveUpAfter time.Duration
	// TokenEnv names an environment variable holding a bearer token for
	// the server; TokenFile a file holding one (it wins). Default: the
	// variable BEAMLENS_MODEL_TOKEN when set, else no token.
	TokenEnv  string
	TokenFile string
	// Threads is ONNX Runtime's intra-op thread count. Default 1: the
	// runner already runs one bundle per core.
	Threads int
}

// DefaultTokenEnv is the environment variable a server token is read from
// unless Options.TokenEnv names another.
const DefaultTokenEnv = "BEAMLENS_MODEL_TOKEN"

func (o Options) withDefaults() Options {
	o.Timeout = cmp.Or(o.Timeout, 30*time.Second)
	o.Concurrency = cmp.Or(o.Concurrency, 4)
	o.InitialBackoff = cmp.Or(o.InitialBackoff, 200*time.Millisecond)
	o.MaxBackoff = cmp.Or(o.MaxBackoff, 10*time.Second)
	o.TokenEnv = cmp.Or(o.TokenEnv, DefaultTokenEnv)
	o.Threads = cmp.Or(o.Threads, 1)
	return o
}

// Kind is how a model URI is run.
type Kind int

const (
	ONNX Kind = iota + 1
	KServe
	MLflow
)

func (k Kind) String() string {
	switch k {
	case ONNX:
		return "onnx"
	case KServe:
		return "kserve-v2"
	case MLflow:
		return "mlflow"
	}
	return "unknown"
}

// ParseURI says how uri is run, and checks its shape: a .onnx file path, an
// http(s) URL ending in /v2/models/NAME (optionally /versions/V), or
// mlflow+http(s)://HOST/invocations.
func ParseURI(uri string) (Kind, error) {
	switch {
	case strings.HasPrefix(uri, "mlflow+http://"), strings.HasPrefix(uri, "mlflow+https://"):
		u, err := url.Parse(strings.TrimPrefix(uri, "mlflow+"))
		if err != nil || u.Host == "" {
			return 0, fmt.Errorf("model %q: not a URL", uri)
		}
		if !strings.HasSuffix(u.Path, "/invocations") {
			return 0, fmt.Errorf("model %q: an MLflow scoring server URL ends in /invocations", uri)
		}
		return MLflow, nil
	case strings.HasPrefix(uri, "http://"), strings.HasPrefix(uri, "https://"):
		u, err := url.Parse(uri)
		if err != nil || u.Host == "" {
			return 0, fmt.Errorf("model %q: not a URL", uri)
		}
		if _, err := kserveName(u.Path); err != nil {
			return 0, fmt.Errorf("model %q: %w", uri, err)
		}
		return KServe, nil
	case strings.HasSuffix(strings.ToLower(uri), ".onnx"):
		return ONNX, nil
	case uri == "":
		return 0, errors.New("no model named: --model=FILE.onnx, http://HOST:PORT/v2/models/NAME or mlflow+http://HOST:PORT/invocations")
	}
	return 0, fmt.Errorf("model %q: not a .onnx file, a KServe v2 URL (http://HOST:PORT/v2/models/NAME) or an MLflow one (mlflow+http://HOST:PORT/invocations)", uri)
}

// Open opens the model at uri (see ParseURI) and checks it takes rows of
// opts.Width features: an ONNX file is loaded and its input shape read; a
// KServe v2 server's metadata is read when it declares the input shape. It
// fails at once on a missing or corrupt file, a model of another width, or
// (servers) a model the server does not know; a server that is down is not
// an error here (its batches wait), see Check for a start-up probe.
func Open(uri string, opts Options) (Model, error) {
	kind, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	if opts.Width <= 0 {
		return nil, fmt.Errorf("model %q: no input width (the --metrics it takes)", uri)
	}
	opts = opts.withDefaults()
	switch kind {
	case ONNX:
		return openONNX(uri, opts)
	case KServe:
		return newKServe(uri, opts)
	default:
		return newMLflow(strings.TrimPrefix(uri, "mlflow+"), opts)
	}
}

// token reads the bearer token: the file when named (it must hold one),
// else the variable, whose absence means the server needs no token.
func (o Options) token() (string, error) {
	tok, err := secret.Load(o.TokenFile, o.TokenEnv)
	if errors.Is(err, secret.ErrEmpty) && o.TokenFile == "" {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("model token: %w", err)
	}
	return tok, nil
}

// WidthError is a model that takes rows of another width than the metrics
// given.
type WidthError struct {
	URI     string
	Model   int // the width the model declares
	Metrics int // the width --metrics gives
}

func (e *WidthError) Error() string {
	return fmt.Sprintf("model %s takes %d features per row, but %d metrics are given (--metrics): name exactly the features it was trained on, in order", e.URI, e.Model, e.Metrics)
}
