package kafkaio

import (
	"fmt"
	"time"

	"github.com/beamlens/beamlens/internal/watermarks"
)

// The read's watermark estimator is watermarks.Estimator, shared with
// the Pub/Sub read.

// readWatermarks holds the newest watermark of every partition this
// process is reading ("topic/partition"), for Watermark.
var readWatermarks watermarks.Registry

// publishWatermark records a partition's watermark after a read; a range
// read to its end no longer holds the source back.
func publishWatermark(r partitionRange, ms int64, done bool) {
	readWatermarks.Publish(fmt.Sprintf("%s/%d", r.Topic, r.Partition), ms, done)
}

// Watermark returns the oldest watermark among the partitions this
// process's workers are reading, which is the Kafka source's watermark when
// the workers run in this process (prism, Flink LOOPBACK); ok is false when
// no partition has estimated one yet (or every range has ended).
func Watermark() (wm time.Time, ok bool) { return readWatermarks.Oldest() }
