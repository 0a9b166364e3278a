package llm_test

// One test per misbehaviour of the LLM servers people run (llama.cpp,
// Ollama, vLLM, LM Studio, routing gateways, Azure, reasoning models), each
// against the in-repo fake server: only the offending review fails, with
// the server's own words, and the others get their themes.

import (
	"errors"
	"strings"
	"testing"

	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/models/llm/llmtest"
)

// tenReviews are short reviews; the sixth trips servers set off by "stab".
func tenReviews() []llm.Item {
	texts := []string{"Delivery was quick.", "Battery is weak.", "Great price.", "Screen scratches easily.",
		"Shipping box was damaged.", "The knife is so sharp it could stab through a tin can.",
		"Price went up after a week.", "Battery swelled after a month.", "Fast delivery, well packed.",
		"Screen is too dim outdoors."}
	items := make([]llm.Item, len(texts))
	for i, t := range texts {
		items[i] = llm.Item{ID: "r" + string(rune('a'+i)), Text: t}
	}
	return items
}

// onlyFails checks that item bad alone failed, its error holding every
// one of want, and that the others got the offline model's themes.
func onlyFails(t *testing.T, items []llm.Item, res []llm.Result, bad int, want ...string) {
	t.Helper()
	others := append(append([]llm.Item(nil), items[:bad]...), items[bad+1:]...)
	rest := append(append([]llm.Result(nil), res[:bad]...), res[bad+1:]...)
	checkResults(t, others, rest, false)
	if res[bad].Err == nil {
		t.Fatalf("item %d got themes %v, want an error", bad, res[bad].Themes)
	}
	for _, w := range want {
		if !strings.Contains(res[bad].Err.Error(), w) {
			t.Errorf("item %d's error %q does not say %q", bad, res[bad].Err, w)
		}
	}
}

func TestCaseRefusalOfOneReview(t *testing.T) {
	srv := startServer(t, llmtest.Config{TriggerText: "stab", TriggerMode: llmtest.Refusal})
	e := newExtractor(t, srv, nil)
	items := tenReviews()
	res := extract(t, e, items)
	onlyFails(t, items, res, 5, "the model refused", "I'm sorry, I can't help with that.")
	if !errors.Is(res[5].Err, llm.ErrBadAnswer) {
		t.Errorf("error %v is not ErrBadAnswer", res[5].Err)
	}
	// 10 -> 5 + 5 -> 2 + 3 -> 1 + 2 (6 at the front of 6,7,8) ...: a few
	// requests, not one per review.
	if st := srv.Stats(); st.Requests > 12 {
		t.Errorf("%d requests for 10 reviews", st.Requests)
	}
}

func TestCaseErrorObjectInA200(t *testing.T) {
	srv := startServer(t, llmtest.Config{TriggerText: "stab", TriggerMode: llmtest.ErrorBody})
	e := newExtractor(t, srv, nil)
	items := tenReviews()
	res := extract(t, e, items)
	onlyFails(t, items, res, 5, "Upstream provider flagged this input as a policy violation.", "code 502")
	if st := e.Stats(); st.Retries != 0 || st.BreakerOpens != 0 {
		t.Errorf("stats %+v: a flagged review is not an outage", st)
	}
}

func TestCaseProseForOneReview(t *testing.T) {
	srv := startServer(t, llmtest.Config{TriggerText: "stab", TriggerMode: llmtest.Garbage})
	e := newExtractor(t, srv, nil)
	items := tenReviews()
	onlyFails(t, items, extract(t, e, items), 5, "content is not JSON")
}

func TestCaseThinkTags(t *testing.T) {
	srv := startServer(t, llmtest.Config{Reasoning: true})
	e := newExtractor(t, srv, nil)
	items := tenReviews()
	checkResults(t, items, extract(t, e, items), false)
	if st := srv.Stats(); st.Requests != 1 {
		t.Errorf("%d requests, want 1", st.Requests)
	}
}

func TestCaseNullContentIsAnEmptyAnswer(t *testing.T) {
	srv := startServer(t, llmtest.Config{TriggerText: "stab", TriggerMode: llmtest.NullContent})
	e := newExtractor(t, srv, nil)
	items := tenReviews()
	onlyFails(t, items, extract(t, e, items), 5, "empty answer", "reasoned for")
}

func TestCaseContextOverflowAs500(t *testing.T) {
	for _, status := range []int{500, 400} {
		srv := startServer(t, llmtest.Config{MaxRequestBytes: 3000, ContextStatus: status})
		e := newExtractor(t, srv, func(o *llm.Options) { o.MaxRetries = 5 })
		items := tenReviews()
		items[6].Text = strings.Repeat("I bought this for my workshop. ", 150) // 4.6 kB
		res := extract(t, e, items)
		onlyFails(t, items, res, 6, "exceeds the available context size")
		if !errors.Is(res[6].Err, llm.ErrRejected) {
			t.Errorf("%d: error %v is not ErrRejected", status, res[6].Err)
		}
		if st := e.Stats(); st.Retries != 0 || st.BreakerOpens != 0 {
			t.Errorf("%d: stats %+v: an overflow is not retried as it is", status, st)
		}
	}
}

func TestCaseContextOverflowKeepsAnsweredBatches(t *testing.T) {
	srv := startServer(t, llmtest.Config{MaxRequestBytes: 3000, ContextStatus: 500})
	e := newExtractor(t, srv, func(o *llm.Options) { o.BatchSize = 20 })
	items := reviewItems(t, 25, 30)
	items = append(items, llm.Item{ID: "long", Text: strings.Repeat("I bought this for my workshop. ", 150)})
	onlyFails(t, items, extract(t, e, items), 25, "context size")
}

func TestCaseJSONSchemaAs500(t *testing.T) {
	srv := startServer(t, llmtest.Config{RejectResponseFormat: llm.FormatJSONSchema, RejectStatus: 500})
	e := newExtractor(t, srv, nil)
	items := tenReviews()
	checkResults(t, items, extract(t, e, items), false)
	st := e.Stats()
	if st.ResponseFormat != llm.FormatJSONObject || st.Retries != 0 || srv.Stats().Requests != 2 {
		t.Errorf("stats %+v, server %+v: want one 500, then json_object", st, srv.Stats())
	}
}

func TestCaseModelRejectsTheSystemRole(t *testing.T) {
	srv := startServer(t, llmtest.Config{RejectSystemRole: true})
	e := newExtractor(t, srv, nil)
	items := tenReviews()
	checkResults(t, items, extract(t, e, items), false)
	if ss := srv.Stats(); ss.RoleRejected != 1 || ss.Roles["user"] != 1 {
		t.Errorf("server %+v: want one refusal, then the instructions in the user turn", ss)
	}

	// Asked up front, no request carries a system message.
	srv = startServer(t, llmtest.Config{RejectSystemRole: true})
	e = newExtractor(t, srv, func(o *llm.Options) { o.SystemRole = llm.RoleUser })
	checkResults(t, items, extract(t, e, items), false)
	if ss := srv.Stats(); ss.RoleRejected != 0 || ss.Roles["system"] != 0 {
		t.Errorf("server %+v", ss)
	}
	srv = startServer(t, llmtest.Config{})
	e = newExtractor(t, srv, func(o *llm.Options) { o.SystemRole = llm.RoleDeveloper })
	checkResults(t, items, extract(t, e, items), false)
	if ss := srv.Stats(); ss.Roles["developer"] != 1 {
		t.Errorf("server %+v", ss)
	}
}

func TestCaseAzureClassicDeployment(t *testing.T) {
	srv := startServer(t, llmtest.Config{RequireAzure: true, APIKey: "azure-key-0123456789"})
	t.Setenv("AZURE_TEST_KEY", "azure-key-0123456789")
	e := newExtractor(t, srv, func(o *llm.Options) {
		o.Provider, o.BaseURL, o.Model, o.AzureAPIVersion = llm.ProviderAzure, srv.RootURL(), "gpt4o", "2024-10-21"
		o.NoAPIKey, o.APIKeyEnv = false, "AZURE_TEST_KEY"
	})
	items := tenReviews()
	checkResults(t, items, extract(t, e, items), false)
	ss := srv.Stats()
	if ss.Unauthorized != 0 || ss.Paths["/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21"] != 1 {
		t.Errorf("server %+v", ss)
	}
}
