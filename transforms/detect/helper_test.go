package detect

import (
	"bytes"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/beamlens/beamlens/models/synth"
)

func globalWindows() *window.Fn { return window.NewGlobalWindows() }

// generated returns n lines of synth's labelled sensor stream (seed 1).
func generated(t *testing.T, n int) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	if err := synth.Sensors(&buf, nil, synth.SensorOptions{N: n, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
}
