package stageout

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

func init() { beam.RegisterFunction(discard) }

// Discard consumes out, the output of a sink's last DoFn (PCollection<T>,
// normally empty: the DoFn declares an emitter and never calls it), behind
// a fusion break (beam.Reshuffle), so that the sink's stage has an output.
//
// Why: prism (Beam Go v2.77.0, runners/prism/internal/stage.go, Execute)
// waits for a bundle in a select loop over the bundle's response, a
// progress ticker and a channel that is closed once the bundle's outputs
// are done. A stage without outputs has that channel closed from the
// start, so the loop spins for the whole bundle. With prism in the same
// process as its workers on two cores, two such loops starved the worker,
// which then ran only at each 10 ms preemption: the file writers' last
// steps took ~90 ms of a 0.8 s run (measured with an execution trace). The
// consumer receives no element, so it never runs a bundle; other runners
// see an empty shuffle.
func Discard(s beam.Scope, out beam.PCollection) {
	s = s.Scope("stageout.Discard")
	beam.ParDo0(s, discard, beam.Reshuffle(s, out))
}

func discard(beam.T) {}
