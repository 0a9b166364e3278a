package events

// Raw is one record as a source delivered it, before decoding: the bytes of
// one JSON Lines line or one Kafka or Pub/Sub message, and where it came from.
type Raw struct {
	// Source locates the record for a human: "PATH@BYTE_OFFSET" for files,
	// "kafka://TOPIC/PARTITION@OFFSET" for Kafka,
	// "pubsub://projects/P/subscriptions/S@MESSAGE_ID" for Pub/Sub.
	Source string
	// Data is the record. For a record the source already rejected (see
	// Problem) it holds at most MaxDeadLetterRaw bytes.
	Data []byte
	// Size is the record's full length in bytes.
	Size int64
	// Problem, when not empty, is why the source rejected the record (e.g. a
	// line over the size limit); it becomes a dead letter without decoding.
	Problem string
}
