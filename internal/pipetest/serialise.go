package pipetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime/graphx"
	"google.golang.org/protobuf/proto"
)

// Serialised returns p as a runner receives it (the pipeline proto, with a
// loopback environment): what is shipped to workers, and so what must hold
// no secret.
func Serialised(t testing.TB, p *beam.Pipeline) []byte {
	t.Helper()
	edges, _, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	env, err := graphx.CreateEnvironment(context.Background(), "beam:env:loopback:v1", func(context.Context) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	pb, err := graphx.Marshal(edges, &graphx.Options{Environment: env})
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(pb)
	if err != nil || len(b) == 0 {
		t.Fatalf("pipeline proto: %v", err)
	}
	return b
}

// Holds reports whether b holds s as is, or base64-encoded at any of the
// three alignments (as it would be inside a serialised DoFn's JSON).
func Holds(b []byte, s string) bool {
	if bytes.Contains(b, []byte(s)) {
		return true
	}
	for shift := 0; shift < 3; shift++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, shift), s...))
		// Drop the characters that depend on the unknown neighbours.
		core := enc[(shift*4+2)/3 : len(enc)-3]
		if bytes.Contains(b, []byte(core)) {
			return true
		}
	}
	return false
}
