// Package kafkaio reads and writes Apache Kafka topics as Beam collections,
// natively in Go: Beam's own Kafka IO is Java, reachable from Go only
// cross-language, through Docker. Read is an unbounded splittable DoFn in
// the shape of the SDK's io/natsio: one restriction per partition, an offset
// range claimed record by record, whose growing end is estimated from the
// high watermark cached from the last fetch; it self-checkpoints with
// sdf.ResumeProcessingIn after every batch, so that bundles end and output
// flows, and refuses the runner's other splits (a partition is read in
// order, by one client), and its watermark follows the record timestamps and, on a partition
// that has caught up, the clock, so that quiet partitions do not hold back
// the windows of busy ones. ReadBatches emits one
// events.RawBatch per poll of a partition (stamped with its earliest
// record's event time), so that a stage that handles records in bulk pays
// the runner's per-element cost per poll; Read hands the records out one
// by one. Write produces JSON records (one per line of an element) with an idempotent,
// acks=all producer and flushes in FinishBundle, so that a bundle completes
// only once its records are acknowledged and a failed record fails the
// bundle: at least once, never a silent drop. github.com/twmb/franz-go does
// the Kafka work (kgo consumes partitions directly, without group
// membership, and produces; kadm lists partitions and offsets and commits
// group offsets; kfake stands in for a cluster in the tests), and
// github.com/valyala/fastjson extracts record keys. A SASL password is read
// on the worker, from an environment variable or a file, and is never part
// of the job graph.
package kafkaio
