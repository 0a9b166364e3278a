// Package rawbatch carries events.RawBatch through Beam: the element the
// message sources (kafkaio, pubsubio) emit, one per poll or pull, so that
// the runner's per-element cost is paid per batch and not per record. It
// registers the batch's coder (events.RawBatch.AppendBinary, no
// reflection) and turns batches back into records (Records) for the
// consumers that want them one by one: the themes pipeline, dedup, tests.
package rawbatch
