package kafkaio

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"github.com/beamlens/beamlens/internal/pipetest"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime/graphx"
	pipepb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/pipeline_v1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/twmb/franz-go/pkg/kfake"
	"google.golang.org/protobuf/proto"
)

func TestPasswordSources(t *testing.T) {
	t.Setenv(DefaultPasswordEnv, "from-env")
	t.Setenv("OTHER_PASSWORD", "from-other-env")
	file := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sasl SASL
		want string
	}{
		{SASL{}, "from-env"},
		{SASL{PasswordEnv: "OTHER_PASSWORD"}, "from-other-env"},
		{SASL{PasswordEnv: "OTHER_PASSWORD", PasswordFile: file}, "from-file"},
	} {
		got, err := c.sasl.password()
		if err != nil || got != c.want {
			t.Errorf("%+v: got %q, %v; want %q", c.sasl, got, err, c.want)
		}
	}
	for _, s := range []SASL{{PasswordEnv: "UNSET_PASSWORD_VARIABLE"}, {PasswordFile: filepath.Join(t.TempDir(), "missing")}} {
		if _, err := s.password(); !errors.Is(err, ErrNoPassword) {
			t.Errorf("%+v: got %v, want ErrNoPassword", s, err)
		}
	}
}

// The password is read on the worker: it appears nowhere in the job graph
// that is sent to the runner.
func TestPasswordNotInJobGraph(t *testing.T) {
	const secret = "hunter2-do-not-ship"
	t.Setenv(DefaultPasswordEnv, secret)
	p, s := beam.NewPipelineWithRoot()
	sasl := SASL{Mechanism: SCRAMSHA512, User: "beam"}
	raws := Read(s, ReadOptions{Brokers: []string{"k:9092"}, Topic: "t", SASL: sasl})
	Write(s, WriteOptions{Brokers: []string{"k:9092"}, Topic: "u", SASL: sasl}, beam.ParDo(s, pipetest.RawBytes, raws))
	edges, _, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := graphx.Marshal(edges, &graphx.Options{Environment: &pipepb.Environment{Urn: "beam:env:loopback:v1"}})
	if err != nil {
		t.Fatal(err)
	}
	// A Go DoFn travels as base64 text inside its transform's payload.
	var graph []byte
	for _, tr := range pipe.GetComponents().GetTransforms() {
		var pardo pipepb.ParDoPayload
		if err := proto.Unmarshal(tr.GetSpec().GetPayload(), &pardo); err != nil || pardo.GetDoFn() == nil {
			continue
		}
		fn, err := base64.StdEncoding.DecodeString(string(pardo.GetDoFn().GetPayload()))
		if err != nil {
			t.Fatal(err)
		}
		graph = append(graph, fn...)
	}
	if bytes.Contains(graph, []byte(secret)) {
		t.Fatal("the SASL password is in the job graph")
	}
	if !bytes.Contains(graph, []byte(DefaultPasswordEnv)) {
		t.Fatal("the job graph does not name the password's variable: is this test looking at the DoFns?")
	}
}

// writeCA creates a self-signed certificate for 127.0.0.1, returning the
// server's TLS configuration and the path of the CA file a client trusts.
func writeCA(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kfake"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, ca
}

// Reading with SCRAM-SHA-512 over TLS, the password from the environment,
// and writing with PLAIN over TLS, the password from a file.
func TestSASLOverTLS(t *testing.T) {
	const topic, out = "secured", "secured_out"
	serverTLS, ca := writeCA(t)
	_, brokers := newCluster(t, topic, 2, kfake.SeedTopics(1, out), kfake.EnableSASL(), kfake.TLS(serverTLS),
		kfake.Superuser(SCRAMSHA512, "reader", "read-secret"), kfake.Superuser(PLAIN, "writer", "write-secret"))
	t.Setenv(DefaultPasswordEnv, "read-secret")
	passFile := filepath.Join(t.TempDir(), "writer.password")
	if err := os.WriteFile(passFile, []byte("write-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	clientTLS := TLS{CAFile: ca}
	p, s := beam.NewPipelineWithRoot()
	Write(s, WriteOptions{Brokers: brokers, Topic: topic, TLS: clientTLS,
		SASL: SASL{Mechanism: PLAIN, User: "writer", PasswordFile: passFile}}, beam.CreateList(s, jsonRecords(100, 3)))
	ptest.RunAndValidate(t, p)

	p, s = beam.NewPipelineWithRoot()
	raws := Read(s, ReadOptions{Brokers: brokers, Topic: topic, Bounded: true, TLS: clientTLS,
		SASL: SASL{Mechanism: SCRAMSHA512, User: "reader"}})
	passert.Count(s, raws, "records", 100)
	ptest.RunAndValidate(t, p)

}
