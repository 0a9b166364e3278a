package endpoint

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Kind is the transport a URI names.
type Kind int

// The transports beamlens speaks.
const (
	File Kind = iota
	Stdout
	Kafka
	PubSub
)

func (k Kind) String() string {
	switch k {
	case File:
		return "file"
	case Stdout:
		return "stdout"
	case Kafka:
		return "kafka"
	case PubSub:
		return "pubsub"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// URI is a parsed input or output location.
type URI struct {
	Kind Kind
	// Path is the file path, glob or output directory (File).
	Path string
	// Brokers and Topic locate a Kafka topic (Kafka).
	Brokers []string
	Topic   string
	// Project and Subscription or Topic locate Pub/Sub (PubSub).
	Project      string
	Subscription string
	// Raw is the URI as the user wrote it.
	Raw string

	// Kafka holds the Kafka settings the command line adds to a kafka://
	// URI (start position, bounded read, consumer group, SASL/TLS).
	Kafka KafkaSettings
	// PubSub holds the settings the command line adds to a pubsub:// URI
	// (bounded read, ordering key field).
	PubSub PubSubSettings
	// StreamTopics maps a pipeline's stream names ("anomalies",
	// "deadletters", ...) to the topics they are written to when the output
	// is Kafka or Pub/Sub; a stream without an entry goes to Topic + "." +
	// stream.
	StreamTopics map[string]string
}

// ErrBadURI is wrapped by every URI parsing error.
var ErrBadURI = errors.New("bad URI")

// Parse parses a URI. It checks syntax only: whether a file exists is the
// reader's business.
func Parse(s string) (URI, error) {
	switch {
	case s == "":
		return URI{}, fmt.Errorf("%w: empty", ErrBadURI)
	case s == "-":
		return URI{Kind: Stdout, Raw: s}, nil
	case strings.HasPrefix(s, "kafka://"):
		return parseKafka(s)
	case strings.HasPrefix(s, "pubsub://"):
		return parsePubSub(s)
	case strings.Contains(s, "://"):
		return URI{}, fmt.Errorf("%w %q: unknown scheme (want a path, -, kafka:// or pubsub://)", ErrBadURI, s)
	}
	return URI{Kind: File, Path: strings.TrimPrefix(s, "file:"), Raw: s}, nil
}

func parseKafka(s string) (URI, error) {
	u, err := url.Parse(s)
	if err != nil {
		return URI{}, fmt.Errorf("%w %q: %v", ErrBadURI, s, err)
	}
	topic := strings.Trim(u.Path, "/")
	if u.Host == "" || topic == "" || strings.Contains(topic, "/") {
		return URI{}, fmt.Errorf("%w %q: want kafka://HOST:PORT[,HOST:PORT...]/TOPIC", ErrBadURI, s)
	}
	var brokers []string
	for _, b := range strings.Split(u.Host, ",") {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return URI{}, fmt.Errorf("%w %q: broker %q: want HOST:PORT", ErrBadURI, s, b)
		}
		brokers = append(brokers, b)
	}
	return URI{Kind: Kafka, Brokers: brokers, Topic: topic, Raw: s}, nil
}

func parsePubSub(s string) (URI, error) {
	parts := strings.Split(strings.TrimPrefix(s, "pubsub://"), "/")
	if len(parts) != 4 || parts[0] != "projects" || parts[1] == "" || parts[3] == "" ||
		(parts[2] != "subscriptions" && parts[2] != "topics") {
		return URI{}, fmt.Errorf("%w %q: want pubsub://projects/P/subscriptions/S or pubsub://projects/P/topics/T", ErrBadURI, s)
	}
	u := URI{Kind: PubSub, Project: parts[1], Raw: s}
	if parts[2] == "subscriptions" {
		u.Subscription = parts[3]
	} else {
		u.Topic = parts[3]
	}
	return u, nil
}
