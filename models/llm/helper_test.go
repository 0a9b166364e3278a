package llm_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/models/llm/llmtest"
	"github.com/beamlens/beamlens/models/synth"
)

// startServer runs an llmtest server for the test.
func startServer(t testing.TB, cfg llmtest.Config) *llmtest.Server {
	t.Helper()
	srv := llmtest.NewServer(cfg)
	t.Cleanup(srv.Close)
	return srv
}

// newExtractor returns an extractor against srv with fast retries and no
// client-side rate limits, adjusted by opts.
func newExtractor(t testing.TB, srv *llmtest.Server, adjust func(o *llm.Options)) *llm.OpenAIExtractor {
	t.Helper()
	o := llm.Options{
		BaseURL:           srv.URL(),
		Model:             "test-model",
		NoAPIKey:          true,
		APIKeyEnv:         "BEAMLENS_TEST_NO_SUCH_VARIABLE",
		RequestsPerMinute: -1,
		TokensPerMinute:   -1,
		InitialBackoff:    time.Millisecond,
		MaxBackoff:        20 * time.Millisecond,
		RequestTimeout:    5 * time.Second,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if adjust != nil {
		adjust(&o)
	}
	e, err := llm.NewOpenAIExtractor(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// reviewItems returns n distinct synthetic review texts as items.
func reviewItems(t testing.TB, n int, seed uint64) []llm.Item {
	t.Helper()
	var buf bytes.Buffer
	if err := synth.Reviews(&buf, nil, synth.ReviewOptions{N: 20 * n, Seed: seed, MalformedRate: -1}); err != nil {
		t.Fatal(err)
	}
	var dec events.ReviewDecoder
	seen := map[string]bool{}
	var items []llm.Item
	for _, line := range bytes.Split(buf.Bytes(), []byte("\n")) {
		r, err := dec.Decode(line)
		if err != nil || seen[r.Text] {
			continue
		}
		seen[r.Text] = true
		items = append(items, llm.Item{ID: r.ReviewID, Text: r.Text})
		if len(items) == n {
			return items
		}
	}
	t.Fatalf("only %d distinct reviews", len(items))
	return nil
}

// checkResults requires one result per item, in order, each either the
// offline model's themes or (when failOK) an error.
func checkResults(t testing.TB, items []llm.Item, res []llm.Result, failOK bool) (failed int) {
	t.Helper()
	if len(res) != len(items) {
		t.Fatalf("%d results for %d items", len(res), len(items))
	}
	off := llm.NewOffline()
	for i, r := range res {
		if r.ID != items[i].ID {
			t.Fatalf("result %d has id %q, want %q", i, r.ID, items[i].ID)
		}
		if r.Err != nil {
			if !failOK {
				t.Errorf("item %d: %v", i, r.Err)
			}
			failed++
			continue
		}
		if want := off.Themes(items[i].Text); !slices.Equal(r.Themes, want) {
			t.Errorf("item %d: themes %q, want %q", i, r.Themes, want)
		}
	}
	return failed
}

func extract(t testing.TB, e llm.Extractor, items []llm.Item) []llm.Result {
	t.Helper()
	res, err := e.Extract(context.Background(), items)
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	return res
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
