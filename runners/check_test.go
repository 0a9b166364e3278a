package runners

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
)

func TestCheckJobServer(t *testing.T) {
	old := *jobopts.Endpoint
	t.Cleanup(func() { *jobopts.Endpoint = old })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	*jobopts.Endpoint = startFake(t, &fakeJobService{})
	if err := CheckJobServer(ctx, Options{Runner: "flink"}); err != nil {
		t.Fatalf("a serving job server: %v", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	*jobopts.Endpoint = ln.Addr().String()
	ln.Close() // nobody serves there now
	err = CheckJobServer(ctx, Options{Runner: "flink"})
	if err == nil || !strings.Contains(err.Error(), "no Beam job server answers at --endpoint="+*jobopts.Endpoint) {
		t.Fatalf("no job server: %v", err)
	}
	if err := CheckJobServer(ctx, Options{Runner: "prism"}); err != nil {
		t.Fatalf("prism needs no job server: %v", err)
	}
}
