package inference

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// kserveName returns the model name of a KServe v2 path
// (/v2/models/NAME or /v2/models/NAME/versions/V).
func kserveName(path string) (string, error) {
	i := strings.Index(path, "/v2/models/")
	if i < 0 {
		return "", errors.New("a KServe v2 URL has the path /v2/models/NAME")
	}
	rest := strings.Trim(path[i+len("/v2/models/"):], "/")
	parts := strings.Split(rest, "/")
	if rest == "" || (len(parts) != 1 && (len(parts) != 3 || parts[1] != "versions")) {
		return "", errors.New("a KServe v2 URL has the path /v2/models/NAME or /v2/models/NAME/versions/VERSION")
	}
	return parts[0], nil
}

// kserveModel is a model behind a KServe v2 (Open Inference Protocol)
// REST endpoint.
type kserveModel struct {
	uri   string // .../v2/models/NAME[/versions/V]
	width int
	c     *httpClient

	mu    sync.Mutex
	input string // the input's name, from the metadata when given
	known bool   // the metadata was read
}

func newKServe(uri string, opts Options) (Model, error) {
	c, err := newHTTPClient(uri, opts)
	if err != nil {
		return nil, err
	}
	return &kserveModel{uri: strings.TrimRight(uri, "/"), width: opts.Width, input: "input-0", c: c}, nil
}

// kserveTensor is one input or output tensor of the protocol.
type kserveTensor struct {
	Name     string          `json:"name"`
	Shape    []int64         `json:"shape"`
	Datatype string          `json:"datatype"`
	Data     json.RawMessage `json:"data,omitempty"`
}

// kserveMetadata is the answer to GET /v2/models/NAME.
type kserveMetadata struct {
	Name   string         `json:"name"`
	Inputs []kserveTensor `json:"inputs"`
}

// Check reads the model's metadata (GET /v2/models/NAME) and, when it
// declares the input's shape, compares its width with Options.Width; it
// also learns the input's name. A server out of reach is an error here.
func (m *kserveModel) check(ctx context.Context) error {
	var md kserveMetadata
	if err := m.c.once(ctx, http.MethodGet, m.uri, nil, &md); err != nil {
		return fmt.Errorf("model %s: metadata: %w", m.uri, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.known = true
	if len(md.Inputs) == 0 {
		return nil
	}
	if len(md.Inputs) > 1 {
		return fmt.Errorf("model %s has %d inputs; the model detector feeds one tensor of rows", m.uri, len(md.Inputs))
	}
	in := md.Inputs[0]
	m.input = in.Name
	if n := len(in.Shape); n == 2 && in.Shape[1] > 0 && int(in.Shape[1]) != m.width {
		return &WidthError{URI: m.uri, Model: int(in.Shape[1]), Metrics: m.width}
	}
	return nil
}

func (m *kserveModel) Width() int { return m.width }

func (m *kserveModel) Close() error { return m.c.close() }

func (m *kserveModel) Predict(ctx context.Context, x []float32, n int) (Prediction, error) {
	if len(x) != n*m.width {
		panic(fmt.Sprintf("inference: %d values for %d rows of %d", len(x), n, m.width))
	}
	if n == 0 {
		return Prediction{}, ctx.Err()
	}
	// Servers that check input names (Triton) need the declared one: read
	// the metadata once, before the first request that finds the server up.
	m.mu.Lock()
	known := m.known
	m.mu.Unlock()
	if !known {
		_ = m.check(ctx) // a server down now is retried below
	}
	m.mu.Lock()
	input := m.input
	m.mu.Unlock()
	data, _ := json.Marshal(x)
	body, _ := json.Marshal(struct {
		Inputs []kserveTensor `json:"inputs"`
	}{[]kserveTensor{{Name: input, Shape: []int64{int64(n), int64(m.width)}, Datatype: "FP32", Data: data}}})
	var answer struct {
		Outputs []kserveTensor `json:"outputs"`
	}
	if err := m.c.do(ctx, http.MethodPost, m.uri+"/infer", body, &answer); err != nil {
		return Prediction{}, err
	}
	var p Prediction
	for _, o := range answer.Outputs {
		dt := strings.ToUpper(o.Datatype)
		asInt := strings.HasPrefix(dt, "INT") || strings.HasPrefix(dt, "UINT") || dt == "BOOL"
		if !asInt && !strings.HasPrefix(dt, "FP") {
			continue
		}
		if (asInt && p.Labels != nil) || (!asInt && p.Scores != nil) {
			continue
		}
		nums, err := decodeNumbers(o.Data)
		if err != nil {
			return Prediction{}, &RequestError{Model: m.uri, Err: fmt.Errorf("output %q: %v", o.Name, err)}
		}
		if len(nums) != n {
			continue // not one value per row (probabilities of each class)
		}
		q, err := labelsOrScores(nums, asInt)
		if err != nil {
			return Prediction{}, &RequestError{Model: m.uri, Err: fmt.Errorf("output %q: %v", o.Name, err)}
		}
		if asInt {
			p.Labels = q.Labels
		} else {
			p.Scores = q.Scores
		}
	}
	if p.Labels == nil && p.Scores == nil {
		return Prediction{}, &RequestError{Model: m.uri, Err: fmt.Errorf("no output has one number per row of %d", n)}
	}
	return p, nil
}
