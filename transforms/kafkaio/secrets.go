package kafkaio

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/beamlens/beamlens/internal/secret"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// password reads the SASL password where s says it is. It runs on the
// worker, in a DoFn's Setup; the value never leaves the process.
func (s SASL) password() (string, error) {
	p, err := secret.Load(s.PasswordFile, s.withDefaults().PasswordEnv)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoPassword, err)
	}
	return p, nil
}

// mechanism returns the SASL mechanism to authenticate with, or nil when s
// has none.
func (s SASL) mechanism() (sasl.Mechanism, error) {
	if s.Mechanism == "" {
		return nil, nil
	}
	pass, err := s.password()
	if err != nil {
		return nil, err
	}
	switch s.Mechanism {
	case PLAIN:
		return plain.Auth{User: s.User, Pass: pass}.AsMechanism(), nil
	case SCRAMSHA256:
		return scram.Auth{User: s.User, Pass: pass}.AsSha256Mechanism(), nil
	case SCRAMSHA512:
		return scram.Auth{User: s.User, Pass: pass}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("unknown SASL mechanism %q", s.Mechanism)
}

// config builds the TLS configuration t describes, or nil when TLS is off.
func (t TLS) config() (*tls.Config, error) {
	if !t.on() {
		return nil, nil
	}
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // opt-in, documented as test only
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA: no PEM certificate in %s", t.CAFile)
		}
		c.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
