package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/beamlens/beamlens/internal/retry"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Connect is how a program outside a pipeline reaches the cluster a read or
// write names: the same brokers, SASL and TLS (the password read from where
// SASL says, as a worker would). Pre-flight checks and the live view use it.
type Connect struct {
	// Brokers are the bootstrap brokers, each "HOST:PORT". Required.
	Brokers []string
	// ClientID names the client to the brokers. Default "beamlens".
	ClientID string
	// SASL and TLS secure the connection. Default: plaintext.
	SASL SASL
	TLS  TLS
}

// ClientOptions returns the franz-go options that reach the cluster: seed
// brokers, client id, SASL and TLS. It reads the SASL password, so call it
// where the client is made, and never log what it returns.
func (c Connect) ClientOptions() ([]kgo.Opt, error) {
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	return connConfig{Brokers: c.Brokers, ClientID: c.ClientID, SASL: c.SASL, TLS: c.TLS}.kgoOpts()
}

// CheckTopic asks the cluster whether topic exists, within ctx's deadline:
// it wraps ErrTopicNotFound when the brokers answer that it does not, and
// names the brokers when they cannot be reached or refuse the credentials.
// It runs where the job is launched, before anything is submitted, so that
// a misspelled topic fails in a second, not after the job has started.
func CheckTopic(ctx context.Context, c Connect, topic string) error {
	opts, err := c.ClientOptions()
	if err != nil {
		return err
	}
	adm, err := newAdmin(opts)
	if err != nil {
		return err
	}
	defer adm.Close()
	tds, err := adm.ListTopics(ctx, topic)
	if err != nil {
		if ctx.Err() != nil || retry.Transient(err) {
			return fmt.Errorf("no answer from the Kafka brokers %s (%v)", strings.Join(c.Brokers, ","), err)
		}
		return fmt.Errorf("Kafka brokers %s: %w", strings.Join(c.Brokers, ","), err)
	}
	td, ok := tds[topic]
	switch {
	case !ok, errors.Is(td.Err, kerr.UnknownTopicOrPartition), td.Err == nil && len(td.Partitions) == 0:
		return fmt.Errorf("%q: %w", topic, ErrTopicNotFound)
	case td.Err != nil:
		return fmt.Errorf("topic %q: %w", topic, td.Err)
	}
	return nil
}
