// Package pyenvtest gives tests the Python side of the model detector: the
// venv scripts/pyenv.sh creates (scikit-learn, skl2onnx, onnxruntime, whose
// wheel ships the libonnxruntime.so beamlens loads, and MLServer), named by
// BEAMLENS_PYENV. .ci/run's model tier sets it; a plain `go test ./...`
// skips the tests that need it.
package pyenvtest

import (
	"os"
	"testing"
)

// Venv returns the venv's directory, or skips t when BEAMLENS_PYENV is not
// set.
func Venv(t testing.TB) string {
	t.Helper()
	v := os.Getenv("BEAMLENS_PYENV")
	if v == "" {
		t.Skip("BEAMLENS_PYENV is not set: scripts/pyenv.sh creates the model tools' venv (scikit-learn, skl2onnx, onnxruntime, MLServer); .ci/run sets it")
	}
	return v
}
