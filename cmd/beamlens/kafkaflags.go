package main

import (
	"flag"
	"strings"

	"github.com/beamlens/beamlens/transforms/endpoint"
	"github.com/beamlens/beamlens/transforms/kafkaio"
)

// kafkaSecurityFlags are the options of a managed Kafka (the article's
// Confluent Cloud setup): SASL and TLS. The password is never a flag value.
type kafkaSecurityFlags struct {
	sasl, user, passwordFile string
	tls                      bool
	ca, cert, key            string
	serverName               string
}

func (f *kafkaSecurityFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.sasl, "kafka-sasl", "", "kafka://: SASL mechanism - PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (the password comes from $KAFKA_SASL_PASSWORD or --kafka-password-file, never a flag)")
	fs.StringVar(&f.user, "kafka-user", "", "kafka://: SASL user name (with --kafka-sasl)")
	fs.StringVar(&f.passwordFile, "kafka-password-file", "", "kafka://: file holding the SASL password (default: $KAFKA_SASL_PASSWORD)")
	fs.BoolVar(&f.tls, "kafka-tls", false, "kafka://: connect with TLS (the system's roots unless --kafka-tls-ca)")
	fs.StringVar(&f.ca, "kafka-tls-ca", "", "kafka://: PEM bundle of the authorities that sign the brokers' certificates (turns TLS on)")
	fs.StringVar(&f.cert, "kafka-tls-cert", "", "kafka://: PEM client certificate, for brokers that authenticate clients (with --kafka-tls-key)")
	fs.StringVar(&f.key, "kafka-tls-key", "", "kafka://: PEM key of --kafka-tls-cert")
	fs.StringVar(&f.serverName, "kafka-tls-server-name", "", "kafka://: name the brokers' certificates must carry (default: the broker host)")
}

// apply checks the flags and sets them on k.
func (f *kafkaSecurityFlags) apply(k *endpoint.KafkaSettings) error {
	mech := strings.ToUpper(f.sasl)
	switch mech {
	case "", kafkaio.PLAIN, kafkaio.SCRAMSHA256, kafkaio.SCRAMSHA512:
	default:
		return usagef("--kafka-sasl: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got %q", f.sasl)
	}
	if mech == "" && (f.user != "" || f.passwordFile != "") {
		return usagef("--kafka-user and --kafka-password-file need --kafka-sasl")
	}
	if mech != "" && f.user == "" {
		return usagef("--kafka-sasl needs --kafka-user")
	}
	if (f.cert == "") != (f.key == "") {
		return usagef("--kafka-tls-cert and --kafka-tls-key go together")
	}
	k.SASL = kafkaio.SASL{Mechanism: mech, User: f.user, PasswordFile: f.passwordFile}
	k.TLS = kafkaio.TLS{Enabled: f.tls, CAFile: f.ca, CertFile: f.cert, KeyFile: f.key, ServerName: f.serverName}
	return nil
}
