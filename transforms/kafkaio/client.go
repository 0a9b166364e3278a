package kafkaio

import (
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// connConfig is how a DoFn reaches the cluster. It travels with the DoFn in
// the job graph, so it holds where the secret is, never the secret.
type connConfig struct {
	Brokers  []string
	ClientID string
	SASL     SASL
	TLS      TLS
}

// kgoOpts returns the client options for c, reading the SASL password. Call
// it on the worker (Setup), never at construction.
func (c connConfig) kgoOpts() ([]kgo.Opt, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ClientID(c.ClientID),
	}
	mech, err := c.SASL.mechanism()
	if err != nil {
		return nil, err
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(mech))
	}
	tc, err := c.TLS.config()
	if err != nil {
		return nil, err
	}
	if tc != nil {
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	return opts, nil
}

// newAdmin returns an admin client over a client built from opts. Nothing
// is dialled until the first request.
func newAdmin(opts []kgo.Opt) (*kadm.Client, error) {
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	return kadm.NewClient(cl), nil
}
