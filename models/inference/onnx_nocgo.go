//go:build !cgo

package inference

import "fmt"

// openONNX without cgo: onnxruntime_go is a cgo binding, so a binary built
// with CGO_ENABLED=0 cannot run ONNX models in process.
func openONNX(path string, _ Options) (Model, error) {
	return nil, fmt.Errorf("model %s: this beamlens was built without cgo (CGO_ENABLED=0), so it cannot run ONNX models in process: rebuild with CGO_ENABLED=1 and a C compiler, or serve the model (--model=http://HOST:PORT/v2/models/NAME)", path)
}
