package detect

import (
	"sort"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/models/events"
)

// ordered scores learned detectors on a bounded input: each bundle's
// readings are batched per device, and sortedBatchScoreFn gathers a
// device's batches, sorts them by event time and runs fresh detectors, so
// the result does not depend on arrival order. It needs no state or
// timers, so it runs on the direct runner as well as prism and Flink.
func ordered(s beam.Scope, readings beam.PCollection, opts Options) beam.PCollection {
	anomalies, _ := ScoreBatches(s, BatchByDevice(s, readings), opts)
	return anomalies
}

// sortReadings orders readings by event time; equal timestamps keep a
// stable, input-independent order by source.
func sortReadings(rs []events.Reading) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].EventTimeMs != rs[j].EventTimeMs {
			return rs[i].EventTimeMs < rs[j].EventTimeMs
		}
		return rs[i].Source < rs[j].Source
	})
}
