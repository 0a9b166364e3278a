package rawbatch

import (
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/internal/pipetest"
	"github.com/beamlens/beamlens/models/events"
)

func TestMain(m *testing.M) { ptest.MainWithDefault(m, "prism") }

// Records gives each record of a batch alone, with its source, bytes,
// size, problem and its own event time as its timestamp; the batch
// crosses the runner by its coder on the way (a Create).
func TestRecords(t *testing.T) {
	b := events.RawBatch{Prefix: "kafka://t/1@"}
	b.AddOffset(10, 3000, []byte(`{"a":1}`), 7, "")
	b.AddOffset(11, 1000, []byte(`xx`), 9<<20, "too big")
	p, s := beam.NewPipelineWithRoot()
	raws := Records(s, beam.Create(s, b))
	passert.Equals(s, beam.ParDo(s, pipetest.DescribeRaw, raws),
		`kafka://t/1@10|3000|{"a":1}|7|`, `kafka://t/1@11|1000|xx|9437184|too big`)
	ptest.RunAndValidate(t, p)
}
