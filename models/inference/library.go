package inference

import (
	"os"
	"path/filepath"
	"sort"
)

// LibraryEnv names the environment variable that locates ONNX Runtime's
// shared library (libonnxruntime.so.*).
const LibraryEnv = "ONNXRUNTIME_SHARED_LIBRARY_PATH"

// DefaultVenv is where scripts/pyenv.sh installs the model tools, the
// onnxruntime wheel among them: ~/.cache/beamlens/venv-models, or under
// $BEAMLENS_CACHE when set.
func DefaultVenv() string {
	cache := os.Getenv("BEAMLENS_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		cache = filepath.Join(home, ".cache", "beamlens")
	}
	return filepath.Join(cache, "venv-models")
}

// LibraryPath returns where ONNX Runtime's shared library is:
// $ONNXRUNTIME_SHARED_LIBRARY_PATH when set, else the one the onnxruntime
// wheel put in BEAMLENS_PYENV's venv or DefaultVenv (scripts/pyenv.sh).
// It returns "" when there is none.
func LibraryPath() string {
	if p := os.Getenv(LibraryEnv); p != "" {
		return p
	}
	for _, venv := range []string{os.Getenv("BEAMLENS_PYENV"), DefaultVenv()} {
		if venv == "" {
			continue
		}
		found, _ := filepath.Glob(filepath.Join(venv, "lib", "python3*", "site-packages", "onnxruntime", "capi", "libonnxruntime.so*"))
		if len(found) > 0 {
			sort.Strings(found)
			return found[len(found)-1]
		}
	}
	return ""
}
