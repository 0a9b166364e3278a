package kafkaio

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/beamlens/beamlens/internal/brokertest"
)

func TestCheckTopic(t *testing.T) {
	_, brokers := newCluster(t, "sensor_data", 2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := CheckTopic(ctx, Connect{Brokers: brokers}, "sensor_data"); err != nil {
		t.Fatalf("existing topic: %v", err)
	}
	err := CheckTopic(ctx, Connect{Brokers: brokers}, "sensor_dta")
	if !errors.Is(err, ErrTopicNotFound) {
		t.Fatalf("missing topic: %v, want ErrTopicNotFound", err)
	}
	if want := `"sensor_dta": topic does not exist`; err.Error() != want {
		t.Errorf("missing topic: %q, want %q", err, want)
	}
}

func TestCheckTopicNoBroker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = CheckTopic(ctx, Connect{Brokers: []string{addr}}, "t")
	if err == nil || errors.Is(err, ErrTopicNotFound) {
		t.Fatalf("no broker: %v, want an error naming the brokers", err)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the broker %s", err, addr)
	}
}

func TestCheckTopicWrongPassword(t *testing.T) {
	k := brokertest.NewSASLKafka(t, SCRAMSHA256, "u", "right", "t")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t.Setenv(DefaultPasswordEnv, "right")
	if err := CheckTopic(ctx, Connect{Brokers: k.Brokers, SASL: SASL{Mechanism: SCRAMSHA256, User: "u"}}, "t"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	t.Setenv(DefaultPasswordEnv, "wrong")
	err := CheckTopic(ctx, Connect{Brokers: k.Brokers, SASL: SASL{Mechanism: SCRAMSHA256, User: "u"}}, "t")
	if err == nil || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong password: %v", err)
	}
}
