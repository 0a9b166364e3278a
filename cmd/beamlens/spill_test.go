package main

import (
	"os"
	"testing"

	"github.com/beamlens/beamlens/pipelines/anomaly"
	"github.com/beamlens/beamlens/runners"
	"github.com/beamlens/beamlens/transforms/endpoint"
)

// TestSpillDirOnlyForInProcessFileRuns: a file run on prism (the default)
// or direct gets a spill directory; Flink (workers perhaps elsewhere, a
// shuffle of its own) and message inputs do not.
func TestSpillDirOnlyForInProcessFileRuns(t *testing.T) {
	file, err := endpoint.Parse("in.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	kafka, err := endpoint.Parse("kafka://127.0.0.1:9092/sensor_data")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in     endpoint.URI
		runner string
		want   bool
	}{
		{file, "", true}, {file, "prism", true}, {file, "direct", true},
		{file, "flink", false}, {kafka, "", false}, {kafka, "direct", false},
	} {
		dir, err := spillDir(anomaly.Config{Input: c.in}, runners.Options{Runner: c.runner})
		if err != nil {
			t.Fatal(err)
		}
		if (dir != "") != c.want {
			t.Errorf("%v on %q: spill dir %q", c.in.Kind, c.runner, dir)
		}
		if dir != "" {
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				t.Errorf("spill dir %q: %v", dir, err)
			}
			os.RemoveAll(dir)
		}
	}
}
