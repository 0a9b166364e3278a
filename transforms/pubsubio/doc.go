// Package pubsubio reads and writes Google Cloud Pub/Sub as Beam
// collections, natively in Go and on any portable runner: the Go SDK's own
// pubsubio runs only on Dataflow. Read is an unbounded splittable DoFn that
// pulls one subscription and self-checkpoints with sdf.ResumeProcessingIn
// after every batch, so that bundles end and output flows; its watermark
// follows the event times read (publish times, or a timestamp attribute)
// and, after a pull that comes back empty, the clock, so that a quiet
// subscription does not hold back event-time windows. For tests and
// backfills it can end by itself, after MaxMessages or once the
// subscription has been idle for StopAfterIdle. ReadBatches emits one
// events.RawBatch per pull (stamped with its earliest message's event
// time), for a stage that handles messages in bulk; Read hands them out
// one by one. Write publishes with the
// client library's batching publisher, optionally with ordering keys, and
// waits in FinishBundle until Pub/Sub has accepted every message of the
// bundle; a refused message fails the bundle, so the runner retries it
// (prism, which retries no bundle, fails the job): at least once, never a
// silent drop.
//
// # Acknowledgement and delivery
//
// A message is acknowledged only after the runner committed the bundle that
// emitted it. Bundle finalization would be the textbook tool, but Go on
// Flink has none (prism v2.77 has it), so the read carries the ack IDs
// instead: a bundle's messages go into the residual restriction of its
// checkpoint, a runner resumes a residual only after it committed the
// bundle that produced it, and the resumed read acknowledges them before it
// pulls again; until then their ack deadlines are extended (to a minute),
// so that Pub/Sub does not redeliver them. One mechanism on every runner.
// What it gives:
//
//   - A failed bundle's messages are never acknowledged: Pub/Sub redelivers
//     them when their deadline runs out (within a minute). So are the last
//     messages of a pipeline stopped (cancelled, killed) before its last
//     checkpoint resumed: the next run reads them again. Delivery is at
//     least once; duplicates come from these cases and from Pub/Sub's own
//     at-least-once delivery, and the read does not remove them.
//   - prism keeps committed bundles in memory: when the prism process dies,
//     what was still inside the pipeline (an element in an open window, or
//     not yet written by a sink) dies with it, although its message was
//     acknowledged. The same holds on Flink without checkpointing.
//   - On Flink with checkpointing, a bundle's commit is not yet a
//     checkpoint: a failure restores the last completed checkpoint, and a
//     message acknowledged after it whose effects had not left the
//     pipeline is lost. ReadOptions.AckDelay closes that gap: with it above
//     the checkpoint interval plus the time a checkpoint takes, a message is
//     acknowledged only after a checkpoint that holds its effects
//     completed, and the messages of a restored restriction are still held;
//     only a checkpoint that fails or runs late for longer than AckDelay
//     opens it again. The cost: AckDelay times the message rate of ack IDs
//     in the checkpointed restriction, and later redelivery after a
//     failure.
//   - A runner that commits bundles durably (Dataflow) gives at least once
//     end to end, as Beam Java's PubsubUnboundedSource does by
//     acknowledging when a checkpoint is finalized. Not tried here.
//
// Tested on prism against pstest; run by hand on Beam's Flink job server
// (embedded Flink, LOOPBACK), bounded and streaming.
//
// The read pulls with Pub/Sub's unary Pull, Acknowledge and
// ModifyAckDeadline calls rather than the client library's streaming
// Subscriber, because a message must be acknowledgeable by ack ID from
// whichever worker resumes the read, and the Subscriber acknowledges only
// through the message it delivered. One subscription is read by one
// restriction; run several Reads of the same subscription to pull in
// parallel.
//
// cloud.google.com/go/pubsub/v2 does the Pub/Sub work (its apiv1
// SubscriptionAdminClient pulls and acknowledges, its Publisher batches and
// retries publishes, pstest stands in for Pub/Sub in the tests); it finds
// credentials the usual way (Application Default Credentials) and talks to
// an emulator when PUBSUB_EMULATOR_HOST is set, on the workers.
// github.com/valyala/fastjson extracts ordering keys.
package pubsubio
