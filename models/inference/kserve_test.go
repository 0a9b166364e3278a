package inference

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// kserveServer is a KServe v2 endpoint over a rule: a row is an outlier
// (-1) when its first feature is above 50, and a row whose first feature is
// negative makes the server refuse the whole request (400). failFirst
// answers 503 that many times first.
type kserveServer struct {
	width     int
	failFirst int32
	calls     atomic.Int32
	auth      atomic.Value // the last Authorization header
}

func (k *kserveServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.auth.Store(r.Header.Get("Authorization"))
	if r.Method == http.MethodGet && r.URL.Path == "/v2/models/m" {
		json.NewEncoder(w).Encode(map[string]any{"name": "m", "inputs": []map[string]any{{"name": "X", "datatype": "FP32", "shape": []int{-1, k.width}}}})
		return
	}
	if r.URL.Path != "/v2/models/m/infer" {
		http.NotFound(w, r)
		return
	}
	if k.calls.Add(1) <= k.failFirst {
		http.Error(w, "loading", http.StatusServiceUnavailable)
		return
	}
	var req struct {
		Inputs []struct {
			Name  string    `json:"name"`
			Shape []int     `json:"shape"`
			Data  []float32 `json:"data"`
		} `json:"inputs"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Inputs) != 1 || req.Inputs[0].Name != "X" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	in := req.Inputs[0]
	n := in.Shape[0]
	if in.Shape[1] != k.width || len(in.Data) != n*k.width {
		http.Error(w, "shape", http.StatusBadRequest)
		return
	}
	labels := make([]int64, n)
	for i := range n {
		switch v := in.Data[i*k.width]; {
		case v < 0:
			http.Error(w, "negative feature", http.StatusBadRequest)
			return
		case v > 50:
			labels[i] = -1
		default:
			labels[i] = 1
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"outputs": []map[string]any{
		{"name": "predict", "shape": []int{n, 1}, "datatype": "INT64", "data": labels}}})
}

func fastRetries(o Options) Options {
	o.InitialBackoff, o.MaxBackoff = time.Millisecond, 5*time.Millisecond
	return o
}

// openChecked opens a KServe model and reads its metadata, as the
// start-up check does (it learns the input's name there).
func openChecked(t *testing.T, url string, o Options) Model {
	t.Helper()
	m, err := Open(url+"/v2/models/m", o)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.(*kserveModel).check(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestKServePredictRetriesAnOutage(t *testing.T) {
	k := &kserveServer{width: 2, failFirst: 3}
	srv := httptest.NewServer(k)
	defer srv.Close()
	t.Setenv("MY_TOKEN", "s3cret")
	m := openChecked(t, srv.URL, fastRetries(Options{Width: 2, TokenEnv: "MY_TOKEN"}))
	p, err := m.Predict(context.Background(), []float32{1, 2, 60, 0, 3, 4}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{1, -1, 1}; len(p.Labels) != 3 || p.Labels[0] != want[0] || p.Labels[1] != want[1] || p.Labels[2] != want[2] {
		t.Errorf("labels = %v, want %v", p.Labels, want)
	}
	if got := k.calls.Load(); got != 4 {
		t.Errorf("%d calls, want 3 refused and 1 answered", got)
	}
	if got := k.auth.Load(); got != "Bearer s3cret" {
		t.Errorf("Authorization = %v", got)
	}
}

func TestKServeRefusedIsRequestError(t *testing.T) {
	srv := httptest.NewServer(&kserveServer{width: 1})
	defer srv.Close()
	m := openChecked(t, srv.URL, fastRetries(Options{Width: 1}))
	_, err := m.Predict(context.Background(), []float32{1, -1}, 2)
	var re *RequestError
	if !errors.As(err, &re) || re.Status != http.StatusBadRequest {
		t.Fatalf("err = %v, want a RequestError with HTTP 400", err)
	}
}

func TestKServeGivesUp(t *testing.T) {
	srv := httptest.NewServer(&kserveServer{width: 1, failFirst: 1 << 30})
	defer srv.Close()
	m := openChecked(t, srv.URL, fastRetries(Options{Width: 1, GiveUpAfter: 50 * time.Millisecond}))
	_, err := m.Predict(context.Background(), []float32{1}, 1)
	if !IsGaveUp(err) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("err = %v, want a GaveUpError naming the 503", err)
	}
}

func TestCheckWidth(t *testing.T) {
	srv := httptest.NewServer(&kserveServer{width: 3})
	defer srv.Close()
	m, _ := Open(srv.URL+"/v2/models/m", Options{Width: 2})
	err := Check(context.Background(), m)
	var we *WidthError
	if !errors.As(err, &we) || we.Model != 3 || we.Metrics != 2 {
		t.Fatalf("Check = %v, want a WidthError naming 3 and 2", err)
	}
	m, _ = Open(srv.URL+"/v2/models/m", Options{Width: 3})
	if err := Check(context.Background(), m); err != nil {
		t.Fatalf("Check of the right width: %v", err)
	}
}

func TestCheckServerDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	m, err := Open(url+"/v2/models/m", Options{Width: 1})
	if err != nil {
		t.Fatalf("Open must not need the server: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := Check(ctx, m); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Check of a server that is down = %v, want an error saying the connection was refused", err)
	}
}

func TestMLflowPredict(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Inputs [][]float64 `json:"inputs"`
		}
		if r.URL.Path != "/invocations" || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		scores := make([]float64, len(req.Inputs))
		for i, row := range req.Inputs {
			scores[i] = row[0] - row[1]
		}
		json.NewEncoder(w).Encode(map[string]any{"predictions": scores})
	}))
	defer srv.Close()
	m, err := Open("mlflow+"+srv.URL+"/invocations", Options{Width: 2})
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Predict(context.Background(), []float32{3, 1, 0.5, 2}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if p.Labels != nil || len(p.Scores) != 2 || p.Scores[0] != 2 || p.Scores[1] != -1.5 {
		t.Errorf("prediction = %+v, want scores [2 -1.5]", p)
	}
}

func TestParseURI(t *testing.T) {
	for uri, want := range map[string]Kind{
		"iforest.onnx":    ONNX,
		"/models/IF.ONNX": ONNX,
		"http://127.0.0.1:8080/v2/models/iforest":   KServe,
		"https://h/v2/models/iforest/versions/3":    KServe,
		"mlflow+http://127.0.0.1:5000/invocations":  MLflow,
		"http://127.0.0.1:8080/v1/models/x:predict": 0,
		"mlflow+http://127.0.0.1:5000/predict":      0,
		"model.pkl":                                 0,
		"":                                          0,
	} {
		got, err := ParseURI(uri)
		if got != want || (want == 0) != (err != nil) {
			t.Errorf("ParseURI(%q) = %v, %v; want %v", uri, got, err, want)
		}
	}
}
