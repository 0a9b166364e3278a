package inference

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/beamlens/beamlens/internal/retry"
	"github.com/cenkalti/backoff/v5"
)

// maxAnswer bounds an answer's body: a score per row of a batch is a few
// hundred kilobytes; more is not an answer.
const maxAnswer = 64 << 20

// httpClient sends JSON to a model server: requests in flight bounded,
// each timed out, transient failures retried with backoff.
type httpClient struct {
	name  string // the model URI, for messages
	opts  Options
	token string
	http  *http.Client
	slots chan struct{}
}

func newHTTPClient(name string, opts Options) (*httpClient, error) {
	tok, err := opts.token()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = opts.Concurrency
	return &httpClient{name: name, opts: opts, token: tok,
		http:  &http.Client{Transport: tr},
		slots: make(chan struct{}, opts.Concurrency)}, nil
}

// statusError is a non-2xx answer.
type statusError struct {
	code       int
	body       string
	retryAfter time.Duration
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.code, e.body)
}

// transientStatus: the server is busy, restarting or reloading the model
// (retry.TransientStatus). 404 counts too: a model URL that answered at
// start and 404s later is a server still loading its models after a
// restart.
func transientStatus(code int) bool {
	return code == http.StatusNotFound || retry.TransientStatus(code)
}

// do sends body to url (GET when body is nil) and decodes the JSON answer
// into out, retrying transient failures until GiveUpAfter.
func (c *httpClient) do(ctx context.Context, method, url string, body []byte, out any) error {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = c.opts.InitialBackoff
	b.MaxInterval = c.opts.MaxBackoff
	start := time.Now()
	var last error
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := c.once(ctx, method, url, body, out)
		if err != nil && ctx.Err() == nil {
			last = err
		}
		var se *statusError
		switch {
		case err == nil:
			return struct{}{}, nil
		case ctx.Err() != nil:
			return struct{}{}, backoff.Permanent(ctx.Err())
		case errors.As(err, &se) && !transientStatus(se.code):
			return struct{}{}, backoff.Permanent(&RequestError{Model: c.name, Status: se.code, Err: errors.New(se.body)})
		case errors.As(err, &se) && se.retryAfter > 0:
			return struct{}{}, backoff.RetryAfter(int(se.retryAfter.Seconds()))
		case IsRequestError(err):
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(c.opts.GiveUpAfter))
	switch {
	case err == nil, IsRequestError(err):
		return err
	case ctx.Err() != nil && last != nil:
		// Say why the calls failed, not only that time ran out.
		return fmt.Errorf("%w; the last try: %v", err, last)
	case ctx.Err() != nil:
		return err
	}
	return &GaveUpError{Model: c.name, After: time.Since(start), Last: err}
}

// once sends one request, holding a slot for it.
func (c *httpClient) once(ctx context.Context, method, url string, body []byte, out any) error {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.slots }()
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return &RequestError{Model: c.name, Err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		se := &statusError{code: resp.StatusCode, body: truncate(string(data), 300)}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			se.retryAfter = min(time.Duration(s)*time.Second, c.opts.MaxBackoff)
		}
		return se
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &RequestError{Model: c.name, Status: resp.StatusCode, Err: fmt.Errorf("answer is not the JSON expected: %v", err)}
	}
	return nil
}

func (c *httpClient) close() error {
	c.http.CloseIdleConnections()
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// flatten returns the numbers of a JSON array nested to any depth (a
// server may answer [n] or [n, 1]), in order.
func flatten(v any, out []json.Number) ([]json.Number, error) {
	switch t := v.(type) {
	case json.Number:
		return append(out, t), nil
	case bool:
		if t {
			return append(out, "1"), nil
		}
		return append(out, "0"), nil
	case []any:
		for _, e := range t {
			var err error
			if out, err = flatten(e, out); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%v is not a number", v)
}

// decodeNumbers decodes a JSON value of nested number arrays.
func decodeNumbers(raw json.RawMessage) ([]json.Number, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return flatten(v, nil)
}

// labelsOrScores turns an answer's numbers into labels when every one is
// an integer (asInt) or else scores.
func labelsOrScores(nums []json.Number, asInt bool) (Prediction, error) {
	var p Prediction
	if asInt {
		p.Labels = make([]int64, len(nums))
		for i, n := range nums {
			v, err := n.Int64()
			if err != nil {
				f, ferr := n.Float64()
				if ferr != nil || f != float64(int64(f)) {
					return Prediction{}, fmt.Errorf("label %s is not an integer", n)
				}
				v = int64(f)
			}
			p.Labels[i] = v
		}
		return p, nil
	}
	p.Scores = make([]float64, len(nums))
	for i, n := range nums {
		f, err := n.Float64()
		if err != nil {
			return Prediction{}, fmt.Errorf("score %s is not a number", n)
		}
		p.Scores[i] = f
	}
	return p, nil
}
