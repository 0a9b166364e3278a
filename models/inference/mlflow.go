package inference

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// mlflowModel is a model behind an MLflow scoring server
// (mlflow models serve): POST /invocations.
type mlflowModel struct {
	url   string
	width int
	c     *httpClient
}

func newMLflow(url string, opts Options) (Model, error) {
	c, err := newHTTPClient("mlflow+"+url, opts)
	if err != nil {
		return nil, err
	}
	return &mlflowModel{url: url, width: opts.Width, c: c}, nil
}

func (m *mlflowModel) Width() int { return m.width }

func (m *mlflowModel) Close() error { return m.c.close() }

// Predict sends the rows as MLflow's tensor input ({"inputs": [[...],
// ...]}) and reads {"predictions": [...]} (MLflow 2) or a bare list
// (MLflow 1).
func (m *mlflowModel) Predict(ctx context.Context, x []float32, n int) (Prediction, error) {
	if len(x) != n*m.width {
		panic(fmt.Sprintf("inference: %d values for %d rows of %d", len(x), n, m.width))
	}
	if n == 0 {
		return Prediction{}, ctx.Err()
	}
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = x[i*m.width : (i+1)*m.width]
	}
	body, _ := json.Marshal(map[string]any{"inputs": rows})
	var answer json.RawMessage
	if err := m.c.do(ctx, http.MethodPost, m.url, body, &answer); err != nil {
		return Prediction{}, err
	}
	var wrapped struct {
		Predictions json.RawMessage `json:"predictions"`
	}
	if json.Unmarshal(answer, &wrapped) == nil && wrapped.Predictions != nil {
		answer = wrapped.Predictions
	}
	nums, err := decodeNumbers(answer)
	if err != nil {
		return Prediction{}, &RequestError{Model: m.c.name, Err: fmt.Errorf("predictions: %v", err)}
	}
	if len(nums) != n {
		return Prediction{}, &RequestError{Model: m.c.name, Err: fmt.Errorf("%d predictions for %d rows", len(nums), n)}
	}
	asInt := true
	for _, v := range nums {
		if _, err := v.Int64(); err != nil {
			asInt = false
			break
		}
	}
	p, err := labelsOrScores(nums, asInt)
	if err != nil {
		return Prediction{}, &RequestError{Model: m.c.name, Err: err}
	}
	return p, nil
}
