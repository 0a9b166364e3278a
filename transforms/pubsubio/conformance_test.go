package pubsubio

import (
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/internal/brokertest"
	"github.com/beamlens/beamlens/internal/sourcetest"
)

// TestConformance runs the source conformance suite against an in-process
// Pub/Sub (pstest). A subscription always resumes where the last read left
// it - what was acknowledged is gone - so ReadMode.Resume changes nothing
// here; a bounded read is a backfill (StopAfterIdle).
func TestConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Source{New: func(t testing.TB) sourcetest.Stream {
		f := brokertest.NewPubSub(t)
		f.TopicWithSubscription(t, "conformance", "conformance-sub")
		return &pubsubStream{f: f}
	}})
}

type pubsubStream struct{ f *brokertest.PubSub }

func (st *pubsubStream) Add(t testing.TB, records [][]byte) {
	t.Helper()
	st.f.PublishAll(t, "conformance", records)
}

func (st *pubsubStream) Read(s beam.Scope, mode sourcetest.ReadMode) beam.PCollection {
	opts := ReadOptions{Project: project, Subscription: "conformance-sub",
		IdleDelay: 50 * time.Millisecond, WatermarkLag: mode.WatermarkLag}
	if mode.Bounded {
		opts.StopAfterIdle = time.Second
	}
	return Read(s, opts)
}

// Settle lets the failed run's leases run out, so Pub/Sub redelivers
// what it did not acknowledge.
func (st *pubsubStream) Settle(testing.TB) { st.f.Advance(2 * time.Minute) }
