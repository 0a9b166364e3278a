package llm_test

import (
	"context"
	"slices"
	"testing"

	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/models/llm/llmtest"
)

func TestCachedAnswersWithoutARequest(t *testing.T) {
	srv := startServer(t, llmtest.Config{})
	e := newExtractor(t, srv, nil)
	text := "The battery dies after two hours."
	if _, ok := e.Cached(text); ok {
		t.Fatal("a hit before any call")
	}
	if _, err := e.Extract(context.Background(), []llm.Item{{ID: "a", Text: text}}); err != nil {
		t.Fatal(err)
	}
	th, ok := e.Cached("  the BATTERY dies after two hours. ")
	if !ok || !slices.Equal(th, []string{"battery life"}) {
		t.Errorf("Cached = %q, %v", th, ok)
	}
	if _, ok := e.Cached("   "); ok {
		t.Error("a blank text hit")
	}
	if st := e.Stats(); st.CacheHits != 1 || st.Items != 1 || srv.Stats().Requests != 1 {
		t.Errorf("stats %+v, server %+v", st, srv.Stats())
	}
	off := newExtractor(t, srv, func(o *llm.Options) { o.CacheSize = -1 })
	_, _ = off.Extract(context.Background(), []llm.Item{{ID: "a", Text: text}})
	if _, ok := off.Cached(text); ok {
		t.Error("a disabled cache hit")
	}
}
