package kafkaio

import (
	"cmp"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// StartPosition says where a read begins in each partition.
type StartPosition int

const (
	// Earliest starts at the oldest record each partition still holds.
	Earliest StartPosition = iota
	// Latest starts after the newest record at the time the read starts:
	// only records produced from then on are read.
	Latest
	// Committed starts at the consumer group's committed offsets
	// (ReadOptions.Group); a partition without one starts at
	// ReadOptions.ResetTo.
	Committed
	// AtTime starts at the first record whose timestamp is at or after
	// ReadOptions.StartTime (the end of the partition when there is none).
	AtTime
)

func (p StartPosition) String() string {
	switch p {
	case Earliest:
		return "earliest"
	case Latest:
		return "latest"
	case Committed:
		return "committed"
	case AtTime:
		return "time"
	}
	return fmt.Sprintf("StartPosition(%d)", int(p))
}

// Defaults of the options. The zero value of every option means its default.
const (
	DefaultClientID      = "beamlens"
	DefaultPasswordEnv   = "KAFKA_SASL_PASSWORD"
	DefaultBatchRecords  = 10_000
	DefaultBatchDuration = 250 * time.Millisecond
	// A Bounded read's defaults: a backfill's outputs are wanted at its
	// end, not within 250ms, and each checkpoint ends a bundle, whose
	// partials the window statistics merge and whose writes wait for their
	// acknowledgements (1M readings: 100 bundles -> 10, 4.6 s -> 4.3 s).
	DefaultBoundedBatchRecords  = 100_000
	DefaultBoundedBatchDuration = 2 * time.Second
	DefaultIdleDelay            = 100 * time.Millisecond
	DefaultWatermarkLag         = 2 * time.Second
	DefaultDeliveryTimeout      = 2 * time.Minute
	DefaultCompression          = "none"
)

// ReadOptions configures Read. The zero value of every field is its
// default; Brokers and Topic are required.
type ReadOptions struct {
	// Brokers are the bootstrap brokers, each "HOST:PORT". Required.
	Brokers []string
	// Topic is the topic to read, every partition of it. Required.
	Topic string
	// ClientID names the client to the brokers (their logs and quotas).
	// Default "beamlens".
	ClientID string
	// Group is the consumer group the read commits its progress to, for
	// monitoring (consumer lag) and for restarting with Start: Committed.
	// Commits are best effort: a failed commit is logged, not retried. The
	// group must not have active members of its own (the read assigns
	// partitions itself, it does not join the group). Default "": no
	// commits.
	Group string
	// Start is where each partition's read begins. Default Earliest.
	// Committed needs Group; AtTime needs StartTime.
	Start StartPosition
	// StartTime is the record timestamp to start at when Start or ResetTo
	// is AtTime.
	StartTime time.Time
	// ResetTo is where a partition without a committed offset starts when
	// Start is Committed: Earliest, Latest or AtTime. Default Earliest.
	ResetTo StartPosition
	// CommitOnStop commits the group's offsets of an unbounded read only
	// when it stops cleanly (drain.Request), so that the offsets name only
	// records whose outputs were written: see Read. Default false: commit
	// as each checkpointed range resumes.
	CommitOnStop bool
	// Bounded makes the read stop at the end offsets each partition had when
	// the read started (a backfill) instead of reading forever. A backfill
	// holds its watermark until every partition reached its end, as a
	// bounded source does in Beam: event-time windows fire at the end and
	// see every record, in whatever order the records were produced, as a
	// file of the same records would. Default false.
	Bounded bool
	// MaxRecordsPerPartition, when positive, stops each partition's read
	// after that many offsets from its start, waiting for records produced
	// later if need be; with Bounded the earlier of the two ends wins.
	// Offsets are records except for transaction markers, so a partition
	// gives at most this many records. Default 0: no limit.
	MaxRecordsPerPartition int64
	// ReadCommitted reads only records of committed transactions (Kafka's
	// isolation.level=read_committed) and, with Bounded, stops at the last
	// stable offset. A transaction that stays open longer than WatermarkLag
	// delivers its records late; a bounded partition may wait for the
	// transactions open when it started to end. Default false:
	// read_uncommitted, Kafka's default.
	ReadCommitted bool
	// BatchRecords is how many records one partition reads before it
	// checkpoints, so that the bundle finishes and its output moves
	// downstream. Default 10,000; 100,000 when Bounded.
	BatchRecords int
	// BatchDuration is how long one partition reads before it checkpoints.
	// Default 250ms; 2s when Bounded.
	BatchDuration time.Duration
	// IdleDelay is how long a partition that has caught up waits before it
	// polls again. It bounds the latency of a record that arrives on a
	// quiet partition. Default 100ms.
	IdleDelay time.Duration
	// WatermarkLag is how far the watermark trails the newest record
	// timestamp a partition has read and, on a caught-up partition, the
	// wall clock; a record whose timestamp is older than that when it is
	// read may be late downstream. Default 2s.
	WatermarkLag time.Duration
	// TimestampField names a top-level JSON field of the record value
	// holding its event time (RFC 3339, or a number of Unix milliseconds),
	// used for the element timestamp and the watermark instead of the Kafka
	// record's timestamp. A record without a readable one keeps the Kafka
	// timestamp as its element time but does not move the watermark: it
	// is bound for a dead letter, and its Kafka timestamp (when it was
	// produced) says nothing about how far the readings have got. An idle
	// partition then moves its watermark to the clock only while its
	// records are live (the newest under a minute old), so a replay of old
	// records keeps its event-time order. Default "": the Kafka record
	// timestamp.
	//
	// Whatever the source of event times, tombstones and control records
	// never move the watermark, and neither does an event time more than
	// watermarks.ClockTolerance (1s) ahead of the wall clock: the
	// watermark never passes the clock.
	TimestampField string
	// SASL authenticates the client. Default: no authentication.
	SASL SASL
	// TLS encrypts the connections. Default: plaintext.
	TLS TLS
}

// WriteOptions configures Write. The zero value of every field is its
// default; Brokers and Topic are required.
type WriteOptions struct {
	// Brokers are the bootstrap brokers, each "HOST:PORT". Required.
	Brokers []string
	// Topic is the topic every record goes to. Required; it must exist
	// unless AllowAutoTopicCreation is set.
	Topic string
	// ClientID names the client to the brokers. Default "beamlens".
	ClientID string
	// KeyField names a top-level JSON string field whose value becomes the
	// record key (e.g. "device_id"), so that records with the same value
	// land in the same partition, in order. A record without that field, or
	// where it is not a string, is written without a key. Default "": no
	// keys, records are spread over the partitions.
	KeyField string
	// Headers are added to every record. Default none.
	Headers map[string]string
	// DeliveryTimeout is how long a record may take to be acknowledged,
	// retries included, before the bundle fails (Kafka's
	// delivery.timeout.ms). Default 2m.
	DeliveryTimeout time.Duration
	// Compression is the codec of the produced record batches: "none",
	// "gzip", "snappy", "lz4" or "zstd". Default "none", as Kafka's own
	// producer and librdkafka (kcat, confluent-kafka) default: on the
	// broker's host or a fast network, compressing costs both ends CPU for
	// nothing (400k window records of 1M readings: snappy took the
	// producer 0.3 and the broker 0.3 more CPU-seconds than none); pick
	// lz4 or zstd for a broker across a slow or metered link.
	Compression string
	// AllowAutoTopicCreation asks the broker to create a missing topic (with
	// its default settings), which it does when its
	// auto.create.topics.enable is on. Default false: a missing topic fails
	// the write.
	AllowAutoTopicCreation bool
	// SASL authenticates the client. Default: no authentication.
	SASL SASL
	// TLS encrypts the connections. Default: plaintext.
	TLS TLS
}

// SASL mechanisms.
const (
	PLAIN       = "PLAIN"
	SCRAMSHA256 = "SCRAM-SHA-256"
	SCRAMSHA512 = "SCRAM-SHA-512"
)

// SASL configures authentication. The password is never an option value:
// it is read on the worker, when a DoFn starts, from the environment
// variable PasswordEnv or the file PasswordFile, so that it is not
// serialised into the job graph with the DoFns.
type SASL struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512. PLAIN sends the
	// password as is: use it with TLS. Default "": no SASL.
	Mechanism string
	// User is the SASL user name. Required with a Mechanism.
	User string
	// PasswordEnv names the environment variable holding the password.
	// Default "KAFKA_SASL_PASSWORD". Ignored when PasswordFile is set.
	PasswordEnv string
	// PasswordFile is a file holding the password (surrounding white space
	// is trimmed, as from PasswordEnv). Default "": the password comes from
	// PasswordEnv.
	PasswordFile string
}

// TLS configures encrypted connections. Setting any field turns TLS on.
type TLS struct {
	// Enabled turns TLS on with the defaults below. Default false.
	Enabled bool
	// CAFile is a PEM bundle of the authorities that sign the brokers'
	// certificates. Default: the system's roots.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// brokers that authenticate clients by certificate. Default none.
	CertFile, KeyFile string
	// ServerName is the name the brokers' certificates must carry. Default:
	// the host of the broker address dialled.
	ServerName string
	// InsecureSkipVerify accepts any broker certificate. For tests only.
	// Default false.
	InsecureSkipVerify bool
}

func (t TLS) on() bool {
	return t.Enabled || t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" ||
		t.ServerName != "" || t.InsecureSkipVerify
}

func (o ReadOptions) withDefaults() ReadOptions {
	o.ClientID = cmp.Or(o.ClientID, DefaultClientID)
	if o.Bounded {
		o.BatchRecords = cmp.Or(o.BatchRecords, DefaultBoundedBatchRecords)
		o.BatchDuration = cmp.Or(o.BatchDuration, DefaultBoundedBatchDuration)
	}
	o.BatchRecords = cmp.Or(o.BatchRecords, DefaultBatchRecords)
	o.BatchDuration = cmp.Or(o.BatchDuration, DefaultBatchDuration)
	o.IdleDelay = cmp.Or(o.IdleDelay, DefaultIdleDelay)
	o.WatermarkLag = cmp.Or(o.WatermarkLag, DefaultWatermarkLag)
	o.SASL = o.SASL.withDefaults()
	return o
}

// validate returns what is wrong with o, which has its defaults applied.
func (o ReadOptions) validate() error {
	if err := validateConn(o.Brokers, o.Topic, o.SASL, o.TLS); err != nil {
		return err
	}
	switch o.Start {
	case Earliest, Latest:
	case Committed:
		if o.Group == "" {
			return fmt.Errorf("Start: Committed needs a Group")
		}
	case AtTime:
		if o.StartTime.IsZero() {
			return fmt.Errorf("Start: AtTime needs a StartTime")
		}
	default:
		return fmt.Errorf("unknown Start %v", o.Start)
	}
	switch o.ResetTo {
	case Earliest, Latest:
	case AtTime:
		if o.StartTime.IsZero() {
			return fmt.Errorf("ResetTo: AtTime needs a StartTime")
		}
	default:
		return fmt.Errorf("ResetTo must be Earliest, Latest or AtTime, not %v", o.ResetTo)
	}
	switch {
	case o.MaxRecordsPerPartition < 0:
		return fmt.Errorf("MaxRecordsPerPartition %d is negative", o.MaxRecordsPerPartition)
	case o.BatchRecords < 0:
		return fmt.Errorf("BatchRecords %d is negative", o.BatchRecords)
	case o.BatchDuration < 0, o.IdleDelay < 0, o.WatermarkLag < 0:
		return fmt.Errorf("BatchDuration, IdleDelay and WatermarkLag must not be negative")
	}
	return nil
}

func (o WriteOptions) withDefaults() WriteOptions {
	o.ClientID = cmp.Or(o.ClientID, DefaultClientID)
	o.DeliveryTimeout = cmp.Or(o.DeliveryTimeout, DefaultDeliveryTimeout)
	o.Compression = cmp.Or(o.Compression, DefaultCompression)
	o.SASL = o.SASL.withDefaults()
	return o
}

// Compressions are the values WriteOptions.Compression takes.
var Compressions = []string{"none", "gzip", "snappy", "lz4", "zstd"}

// compressionCodec returns kgo's codec for a WriteOptions.Compression.
func compressionCodec(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("Compression %q: want one of %s", name, strings.Join(Compressions, ", "))
}

func (o WriteOptions) validate() error {
	if err := validateConn(o.Brokers, o.Topic, o.SASL, o.TLS); err != nil {
		return err
	}
	if o.DeliveryTimeout < 0 {
		return fmt.Errorf("DeliveryTimeout %v is negative", o.DeliveryTimeout)
	}
	if _, err := compressionCodec(o.Compression); err != nil {
		return err
	}
	for k := range o.Headers {
		if k == "" {
			return fmt.Errorf("Headers: empty header name")
		}
	}
	return nil
}

func (s SASL) withDefaults() SASL {
	s.PasswordEnv = cmp.Or(s.PasswordEnv, DefaultPasswordEnv)
	return s
}

func validateConn(brokers []string, topic string, s SASL, t TLS) error {
	if len(brokers) == 0 {
		return fmt.Errorf("no Brokers")
	}
	for _, b := range brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			return fmt.Errorf("broker %q: want HOST:PORT", b)
		}
	}
	if err := validateTopic(topic); err != nil {
		return err
	}
	switch s.Mechanism {
	case "":
		if s.User != "" {
			return fmt.Errorf("SASL: User %q given without a Mechanism", s.User)
		}
	case PLAIN, SCRAMSHA256, SCRAMSHA512:
		if s.User == "" {
			return fmt.Errorf("SASL %s: no User", s.Mechanism)
		}
	default:
		return fmt.Errorf("SASL: unknown Mechanism %q (want %s, %s or %s)", s.Mechanism, PLAIN, SCRAMSHA256, SCRAMSHA512)
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return fmt.Errorf("TLS: CertFile and KeyFile go together")
	}
	return nil
}

// validateTopic applies Kafka's own rule: 1-249 characters of [a-zA-Z0-9._-],
// not "." or "..".
func validateTopic(topic string) error {
	if topic == "" {
		return fmt.Errorf("no Topic")
	}
	if len(topic) > 249 || topic == "." || topic == ".." {
		return fmt.Errorf("Topic %q is not a valid Kafka topic name", topic)
	}
	for _, c := range topic {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("Topic %q is not a valid Kafka topic name (want [a-zA-Z0-9._-])", topic)
		}
	}
	return nil
}

// ValidTopicName reports whether topic is a valid Kafka topic name, so that a
// command line can refuse a bad name before building a pipeline.
func ValidTopicName(topic string) error { return validateTopic(topic) }
