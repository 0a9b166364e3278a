package endpoint

import (
	"fmt"
	"path/filepath"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/transforms/jsonl"
	"github.com/beamlens/beamlens/transforms/kafkaio"
	"github.com/beamlens/beamlens/transforms/pubsubio"
)

// CheckInput reports whether beamlens can read from u, with an error a user
// can act on: a missing file, or a transport not built yet.
func CheckInput(u URI) error {
	switch u.Kind {
	case File:
		_, err := jsonl.Match(u.Path)
		return err
	case Stdout:
		return fmt.Errorf("%w: - is an output only; reading stdin is not supported", ErrBadURI)
	case Kafka:
		return nil
	case PubSub:
		return checkPubSub(u, true)
	}
	return fmt.Errorf("%s input %q is not supported yet", u.Kind, u.Raw)
}

// CheckOutput reports whether beamlens can write to u.
func CheckOutput(u URI) error {
	switch u.Kind {
	case File, Stdout, Kafka:
		return nil
	case PubSub:
		return checkPubSub(u, false)
	}
	return fmt.Errorf("%s output %q is not supported yet", u.Kind, u.Raw)
}

// CheckPair reports combinations that cannot work: a file output gathers
// its records when the input ends, so it needs a bounded input.
func CheckPair(in, out URI) error {
	if out.Kind == File && !in.Bounded() {
		return fmt.Errorf("a directory output needs an input that ends: add --bounded to read %s up to its current end, or write to kafka://, pubsub:// or -", in.Raw)
	}
	return nil
}

// Read returns the records at u as PCollection<events.Raw>.
func Read(s beam.Scope, u URI) beam.PCollection {
	switch u.Kind {
	case File:
		return jsonl.Read(s, u.Path)
	case Kafka:
		return kafkaio.Read(s, kafkaReadOptions(u))
	case PubSub:
		return pubsubio.Read(s, pubsubReadOptions(u))
	}
	panic(fmt.Sprintf("endpoint.Read: %v", CheckInput(u)))
}

// ReadBatches returns the records at a message source u (Kafka, Pub/Sub)
// as PCollection<events.RawBatch>, one element per poll or pull, for a
// stage that handles records in bulk (transforms/fused).
func ReadBatches(s beam.Scope, u URI) beam.PCollection {
	switch u.Kind {
	case Kafka:
		return kafkaio.ReadBatches(s, kafkaReadOptions(u))
	case PubSub:
		return pubsubio.ReadBatches(s, pubsubReadOptions(u))
	}
	panic(fmt.Sprintf("endpoint.ReadBatches: %s input %q is not a message source", u.Kind, u.Raw))
}

// Write sends a PCollection<[]byte> of JSON records to the stream named
// stream (e.g. "anomalies") at u: the file DIR/stream.jsonl, stdout, or the
// stream's Kafka or Pub/Sub topic (URI.StreamTopic).
func Write(s beam.Scope, u URI, stream string, lines beam.PCollection) {
	switch u.Kind {
	case File:
		jsonl.Write(s, FilePath(u, stream), lines)
		return
	case Stdout:
		jsonl.WriteStdout(s, lines)
		return
	case Kafka:
		writeKafka(s, u, stream, lines)
		return
	case PubSub:
		writePubSub(s, u, stream, lines)
		return
	}
	panic(fmt.Sprintf("endpoint.Write: %v", CheckOutput(u)))
}

// FilePath is the file a file output u writes stream to: DIR/STREAM.jsonl.
func FilePath(u URI, stream string) string { return filepath.Join(u.Path, stream+".jsonl") }
