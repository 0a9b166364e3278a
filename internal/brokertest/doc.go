// Package brokertest is the one test kit for the brokers beamlens reads
// and writes: a Kafka cluster (franz-go's in-process kfake, or the real
// broker of scripts/kafka.sh named by KAFKA_BOOTSTRAP; NewSASLKafka for
// one that requires a login) and an in-process
// Pub/Sub (pstest, reached through PUBSUB_EMULATOR_HOST as an emulator
// is). Every topic and subscription a test asks for has a name of its own
// per run, so that `go test -count=N` and a shared real broker never show
// a test an earlier run's records.
package brokertest
