//go:build cgo

package inference

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// ortInit loads the shared library and creates ONNX Runtime's one
// environment, once per process; it lives as long as the process.
var ortInit = sync.OnceValue(func() error {
	lib := LibraryPath()
	if lib == "" {
		return fmt.Errorf("ONNX Runtime's shared library not found: run scripts/pyenv.sh (it installs the onnxruntime wheel) or set %s to a libonnxruntime.so", LibraryEnv)
	}
	ort.SetSharedLibraryPath(lib)
	if err := ort.InitializeEnvironment(); err != nil {
		return fmt.Errorf("ONNX Runtime from %s: %w", lib, err)
	}
	return nil
})

// onnxModel runs a model in process. ONNX Runtime's Run is safe for
// concurrent use on one session.
type onnxModel struct {
	path    string
	width   int
	input   string
	double  bool // the input is float64
	outputs []string
	label   int // index in outputs, -1 if none
	score   int
	sess    *ort.DynamicAdvancedSession
}

// sessions shares ONNX Runtime sessions within a process: creating one
// costs seconds for a forest of a hundred trees (thousands of graph nodes),
// and the start-up check and every DoFn instance of a local runner would
// otherwise each pay it. Run is safe for concurrent use; shared sessions
// live as long as the process.
var sessions struct {
	sync.Mutex
	byKey map[string]*onnxModel
}

func openONNX(path string, opts Options) (Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	ins, outs, err := readONNXInfo(data)
	if err != nil {
		return nil, fmt.Errorf("model %s is not a model ONNX Runtime can load: %v", path, err)
	}
	m := &onnxModel{path: path, width: opts.Width, label: -1, score: -1}
	if len(ins) != 1 || !ins[0].IsTensor {
		return nil, fmt.Errorf("model %s has %d inputs; the model detector feeds one tensor of rows", path, len(ins))
	}
	in := ins[0]
	switch in.ElemType {
	case onnxFloat:
	case onnxDouble:
		m.double = true
	default:
		return nil, fmt.Errorf("model %s: input %q has ONNX element type %d; the model detector feeds float32 or float64", path, in.Name, in.ElemType)
	}
	if d := in.Dims; len(d) == 0 || len(d) > 2 {
		return nil, fmt.Errorf("model %s: input %q has shape %v; want [rows, features]", path, in.Name, d)
	} else if w := d[len(d)-1]; len(d) == 2 && w > 0 && int(w) != opts.Width {
		return nil, &WidthError{URI: path, Model: int(w), Metrics: opts.Width}
	}
	m.input = in.Name
	for _, o := range outs {
		if !o.IsTensor {
			continue
		}
		switch o.ElemType {
		case onnxInt64:
			if m.label < 0 {
				m.label = len(m.outputs)
				m.outputs = append(m.outputs, o.Name)
			}
		case onnxFloat, onnxDouble:
			if m.score < 0 {
				m.score = len(m.outputs)
				m.outputs = append(m.outputs, o.Name)
			}
		}
	}
	if len(m.outputs) == 0 {
		return nil, fmt.Errorf("model %s has no int64 label nor float score tensor output", path)
	}
	asExported := os.Getenv(AsExportedEnv) == "1"
	key := fmt.Sprintf("%s\x00%d\x00%t\x00%x", path, opts.Threads, asExported, sha256.Sum256(data))
	sessions.Lock()
	defer sessions.Unlock()
	if shared, ok := sessions.byKey[key]; ok {
		return shared, nil
	}
	load, rewritten := data, false
	if !asExported {
		// A model that is not a per-tree forest is loaded as it is.
		if fused, err := fuseForest(data); err == nil {
			load, rewritten = fused, true
		}
	}
	if err := ortInit(); err != nil {
		return nil, err
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(opts.Threads); err != nil {
		return nil, err
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, err
	}
	m.sess, err = ort.NewDynamicAdvancedSessionWithONNXData(load, []string{m.input}, m.outputs, so)
	if err != nil && rewritten {
		// ONNX Runtime refusing the rewritten forest would be a fault of
		// the rewrite, not of the model: load the model as exported.
		m.sess, err = ort.NewDynamicAdvancedSessionWithONNXData(data, []string{m.input}, m.outputs, so)
	}
	if err != nil {
		return nil, fmt.Errorf("model %s is not a model ONNX Runtime can load: %w", path, err)
	}
	if sessions.byKey == nil {
		sessions.byKey = map[string]*onnxModel{}
	}
	sessions.byKey[key] = m
	return m, nil
}

func (m *onnxModel) Width() int { return m.width }

// Close keeps the session: it is shared by every user in the process.
func (m *onnxModel) Close() error { return nil }

func (m *onnxModel) Predict(ctx context.Context, x []float32, n int) (Prediction, error) {
	if len(x) != n*m.width {
		panic(fmt.Sprintf("inference: %d values for %d rows of %d", len(x), n, m.width))
	}
	if n == 0 {
		return Prediction{}, ctx.Err()
	}
	shape := ort.NewShape(int64(n), int64(m.width))
	var in ort.Value
	var err error
	if m.double {
		x64 := make([]float64, len(x))
		for i, v := range x {
			x64[i] = float64(v)
		}
		in, err = ort.NewTensor(shape, x64)
	} else {
		in, err = ort.NewTensor(shape, x)
	}
	if err != nil {
		return Prediction{}, err
	}
	defer in.Destroy()
	outs := make([]ort.Value, len(m.outputs))
	if err := m.sess.Run([]ort.Value{in}, outs); err != nil {
		return Prediction{}, &RequestError{Model: m.path, Err: err}
	}
	defer func() {
		for _, o := range outs {
			if o != nil {
				o.Destroy()
			}
		}
	}()
	var p Prediction
	if m.label >= 0 {
		t, ok := outs[m.label].(*ort.Tensor[int64])
		if !ok || len(t.GetData()) != n {
			return Prediction{}, fmt.Errorf("model %s: label output is not %d int64 values", m.path, n)
		}
		p.Labels = append([]int64(nil), t.GetData()...)
	}
	if m.score >= 0 {
		switch t := outs[m.score].(type) {
		case *ort.Tensor[float32]:
			p.Scores = widen(t.GetData(), n)
		case *ort.Tensor[float64]:
			p.Scores = append([]float64(nil), t.GetData()...)
		}
		if len(p.Scores) != n {
			// A score output of several columns per row (a classifier's
			// probabilities) is not one score per row: ignore it.
			p.Scores = nil
		}
	}
	return p, nil
}

func widen(v []float32, n int) []float64 {
	if len(v) != n {
		return nil
	}
	out := make([]float64, n)
	for i, f := range v {
		out[i] = float64(f)
	}
	return out
}
