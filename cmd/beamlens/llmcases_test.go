package main

// The themes command against the LLM servers people really run, each
// misbehaviour played by the in-repo fake server (models/llm/llmtest): the
// job exits 0, only the review that set the server off is a dead letter,
// with the server's own words, and every other review is enriched.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/models/llm/llmtest"
)

// caseReviews writes reviews with ids r1.. and texts as given.
func caseReviews(t *testing.T, dir string, texts ...string) string {
	t.Helper()
	var b strings.Builder
	for i, text := range texts {
		line, _ := json.Marshal(map[string]any{"review_id": fmt.Sprintf("r%d", i+1), "product_id": "p1",
			"timestamp": fmt.Sprintf("2024-05-01T10:%02d:00Z", i%60), "rating": 3, "review_text": text})
		b.Write(append(line, '\n'))
	}
	path := filepath.Join(dir, "reviews.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var knifeBatch = []string{"Delivery was quick.", "Battery is weak.", "Great price.", "Screen scratches easily.",
	"Shipping box was damaged.", "The knife is so sharp it could stab through a tin can.",
	"Price went up after a week.", "Battery swelled after a month.", "Fast delivery, well packed.",
	"Screen is too dim outdoors."}

// themesRun runs beamlens themes on texts against srv with extra flags and
// returns the exit code, stderr, the enriched review ids and the dead
// letters by review id.
func themesRun(t *testing.T, srv *llmtest.Server, texts []string, extra ...string) (int, string, map[string][]string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	args := append([]string{"themes", "--input=" + caseReviews(t, dir, texts...), "--output=" + out,
		"--llm=openai", "--llm-model=fake-model", "--llm-base-url=" + srv.URL(), "--llm-no-key"}, extra...)
	code, _, stderr := runCLI(t, args...)
	enriched := map[string][]string{}
	for _, line := range outputLines(t, filepath.Join(out, "reviews_with_themes.jsonl")) {
		var r struct {
			ID     string   `json:"review_id"`
			Themes []string `json:"themes"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		enriched[r.ID] = r.Themes
	}
	dead := map[string]string{}
	for _, line := range outputLines(t, filepath.Join(out, "deadletters.jsonl")) {
		var d struct{ Stage, Error, Raw string }
		var r struct {
			ID string `json:"review_id"`
		}
		if json.Unmarshal([]byte(line), &d) != nil || json.Unmarshal([]byte(d.Raw), &r) != nil {
			t.Fatalf("dead letter %s", line)
		}
		dead[r.ID] = d.Stage + ": " + d.Error
	}
	return code, stderr, enriched, dead
}

// outputLines reads a JSON Lines output, none when it is absent.
func outputLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// wantOnly checks exit 0, all reviews but bad enriched, and bad (when not
// empty) dead-lettered at stage llm with every one of words.
func wantOnly(t *testing.T, n int, code int, stderr string, enriched map[string][]string, dead map[string]string, bad string, words ...string) {
	t.Helper()
	if code != 0 {
		t.Fatalf("exit %d: %s", code, lastLines(stderr, 3))
	}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("r%d", i)
		if id == bad {
			continue
		}
		if _, ok := enriched[id]; !ok {
			t.Errorf("%s not enriched (dead: %q)", id, dead[id])
		}
	}
	if bad == "" {
		if len(dead) != 0 {
			t.Errorf("dead letters %v", dead)
		}
		return
	}
	if len(dead) != 1 || dead[bad] == "" {
		t.Fatalf("dead letters %v, want %s alone", dead, bad)
	}
	for _, w := range append([]string{"llm: "}, words...) {
		if !strings.Contains(dead[bad], w) {
			t.Errorf("dead letter %q does not say %q", dead[bad], w)
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func TestLLMCaseRefusalOfOneReview(t *testing.T) {
	srv := llmtest.NewServer(llmtest.Config{TriggerText: "stab", TriggerMode: llmtest.Refusal})
	defer srv.Close()
	code, stderr, enriched, dead := themesRun(t, srv, knifeBatch)
	wantOnly(t, 10, code, stderr, enriched, dead, "r6", "the model refused", "I'm sorry, I can't help with that.")
}

func TestLLMCaseErrorObjectInA200(t *testing.T) {
	srv := llmtest.NewServer(llmtest.Config{TriggerText: "stab", TriggerMode: llmtest.ErrorBody})
	defer srv.Close()
	code, stderr, enriched, dead := themesRun(t, srv, knifeBatch)
	wantOnly(t, 10, code, stderr, enriched, dead, "r6", "Upstream provider flagged this input as a policy violation.", "code 502")
}

func TestLLMCaseThinkTags(t *testing.T) {
	srv := llmtest.NewServer(llmtest.Config{Reasoning: true})
	defer srv.Close()
	code, stderr, enriched, dead := themesRun(t, srv, knifeBatch[:3])
	wantOnly(t, 3, code, stderr, enriched, dead, "")
	if got := enriched["r2"]; len(got) != 1 || got[0] != "battery life" {
		t.Errorf("r2 themes %v", got)
	}
}

func TestLLMCaseContextOverflowAs500(t *testing.T) {
	srv := llmtest.NewServer(llmtest.Config{MaxRequestBytes: 3000, ContextStatus: 500})
	defer srv.Close()
	texts := make([]string, 26)
	for i := range 25 {
		texts[i] = fmt.Sprintf("Short review %d: delivery was quick.", i)
	}
	texts[25] = strings.Repeat("I bought this for my workshop. ", 150)
	code, stderr, enriched, dead := themesRun(t, srv, texts, "--llm-batch-size=20")
	wantOnly(t, 26, code, stderr, enriched, dead, "r26", "exceeds the available context size")
}

func TestLLMCaseJSONSchemaAs500(t *testing.T) {
	srv := llmtest.NewServer(llmtest.Config{RejectResponseFormat: "json_schema", RejectStatus: 500})
	defer srv.Close()
	code, stderr, enriched, dead := themesRun(t, srv, knifeBatch[:3])
	wantOnly(t, 3, code, stderr, enriched, dead, "")
	if st := srv.Stats(); st.Formats["json_object"] == 0 {
		t.Errorf("never stepped down: %v", st.Formats)
	}
}

func TestLLMCaseSystemRole(t *testing.T) {
	srv := llmtest.NewServer(llmtest.Config{RejectSystemRole: true})
	defer srv.Close()
	code, stderr, enriched, dead := themesRun(t, srv, knifeBatch[:3])
	wantOnly(t, 3, code, stderr, enriched, dead, "")

	srv2 := llmtest.NewServer(llmtest.Config{RejectSystemRole: true})
	defer srv2.Close()
	code, stderr, enriched, dead = themesRun(t, srv2, knifeBatch[:3], "--llm-system-role=user")
	wantOnly(t, 3, code, stderr, enriched, dead, "")
	if st := srv2.Stats(); st.RoleRejected != 0 {
		t.Errorf("--llm-system-role=user still sent a system message: %+v", st.Roles)
	}
}

func TestLLMCaseAzureClassic(t *testing.T) {
	srv := llmtest.NewServer(llmtest.Config{RequireAzure: true, APIKey: "azure-test-key-0123456789"})
	defer srv.Close()
	t.Setenv("OPENAI_API_KEY", "azure-test-key-0123456789")
	// The deployment URL as the case gives it (which selects Azure by
	// itself), or the resource endpoint with the flavour, deployment and
	// version as flags: the same requests. (Other
	// reviews the second time: the first run's answers are cached.)
	for i, flags := range [][]string{
		{"--llm-base-url=" + srv.RootURL() + "/openai/deployments/gpt4o?api-version=2024-10-21", "--llm-model=gpt4o"},
		{"--llm-api=azure", "--llm-base-url=" + srv.RootURL(), "--llm-model=gpt4o", "--llm-api-version=2024-10-21"},
	} {
		dir := t.TempDir()
		in := caseReviews(t, dir, knifeBatch[3*i:3*i+3]...)
		out := filepath.Join(dir, "out")
		args := append([]string{"themes", "--input=" + in, "--output=" + out, "--llm=openai"}, flags...)
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", flags, code, lastLines(stderr, 3))
		}
		if n := len(outputLines(t, filepath.Join(out, "reviews_with_themes.jsonl"))); n != 3 {
			t.Errorf("%v: %d reviews enriched", flags, n)
		}
	}
	st := srv.Stats()
	if st.Unauthorized != 0 || st.Paths["/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21"] != 2 {
		t.Errorf("server saw %+v", st.Paths)
	}
}

func TestLLMCaseOfflineNonEnglish(t *testing.T) {
	dir := t.TempDir()
	in := caseReviews(t, dir, "Delivery was late and the battery died.", "配送が遅くて、電池もすぐ切れました。",
		"Livraison très lente, la batterie ne tient pas.", "Lieferung kam zu spät, der Akku hält nicht lange.",
		"📦🐌👎 🔋💀")
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(t, "themes", "--input="+in, "--output="+out, "--llm=offline")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := len(outputLines(t, filepath.Join(out, "reviews_with_themes.jsonl"))); n != 1 {
		t.Errorf("%d reviews enriched, want the English one", n)
	}
	dead := outputLines(t, filepath.Join(out, "deadletters.jsonl"))
	if len(dead) != 4 || !strings.Contains(dead[0], "offline model does not cover") {
		t.Errorf("dead letters %q", dead)
	}
	if !strings.Contains(stderr, "reviews_language_not_covered") || !strings.Contains(stderr, " 4\n") {
		t.Errorf("summary does not count them:\n%s", stderr)
	}
}

// TestLLMGivesUpOnAnOutage: a bounded job against a server that stays down
// ends after --llm-give-up-after with exit 1 and one line saying so; every
// review is a dead letter with the reason.
func TestLLMGivesUpOnAnOutage(t *testing.T) {
	srv := llmtest.NewServer(llmtest.Config{ServerErrorProb: 1})
	defer srv.Close()
	code, stderr, enriched, dead := themesRun(t, srv, knifeBatch, "--llm-give-up-after=3s")
	last := lastLines(stderr, 1)
	if code != 1 || !strings.Contains(last, "gave up on the LLM: 10 distinct reviews dead-lettered") || !strings.Contains(last, "status 50") {
		t.Errorf("exit %d, last line %q", code, last)
	}
	if len(enriched) != 0 || len(dead) != 10 {
		t.Errorf("%d enriched, %d dead", len(enriched), len(dead))
	}
	for id, why := range dead {
		if !strings.Contains(why, "gave up") {
			t.Errorf("%s: %s", id, why)
		}
	}
}

// summaryCount reads counter name from the summary printed at the end of
// a run, -1 when it is not there.
func summaryCount(stderr, name string) int64 {
	m := regexp.MustCompile(`(?m)^  ` + name + ` +(\d+)$`).FindStringSubmatch(stderr)
	if m == nil {
		return -1
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// TestLLMLimiterAndBreakerCounters: what the limiter and the circuit
// breaker did - 429s, halved batches, breaker openings, reviews given up on
// - is in the summary a themes run prints and on /metrics, beside the
// other LLM counters. The counters are the process's (one job per process
// outside tests), so the test compares them with the extractors' own sums.
func TestLLMLimiterAndBreakerCounters(t *testing.T) {
	// A content filter refuses the review about the knife (before the
	// injected 429s are drawn): its batch is halved down to it.
	srv := llmtest.NewServer(llmtest.Config{RetryAfter: 50 * time.Millisecond, RefuseText: "stab"})
	defer srv.Close()
	srv.Inject(llmtest.RateLimit, llmtest.RateLimit)
	before := llm.ProcessStats()
	code, stderr, _, dead := themesRun(t, srv, knifeBatch)
	if code != 0 || len(dead) != 1 {
		t.Fatalf("exit %d, dead letters %v: %s", code, dead, lastLines(stderr, 3))
	}
	after := llm.ProcessStats()
	if after.RateLimited-before.RateLimited != 2 || after.Splits == before.Splits {
		t.Fatalf("extractors counted %d 429s and %d splits in the run, want 2 and some", after.RateLimited-before.RateLimited, after.Splits-before.Splits)
	}
	for name, want := range map[string]int64{"llm_rate_limited": after.RateLimited, "llm_splits": after.Splits,
		"llm_breaker_opens": after.BreakerOpens, "llm_gave_up": after.GaveUp, "llm_format_downgrades": after.Downgrades} {
		if got := summaryCount(stderr, name); got != want {
			t.Errorf("summary %s = %d, want %d:\n%s", name, got, want, stderr)
		}
	}

	// A service that stays down opens the breaker and, with
	// --llm-give-up-after, gives up on the reviews.
	down := llmtest.NewServer(llmtest.Config{ServerErrorProb: 1})
	defer down.Close()
	code, stderr, _, _ = themesRun(t, down, knifeBatch[:4], "--llm-give-up-after=2s")
	after = llm.ProcessStats()
	if code != 1 || after.BreakerOpens == before.BreakerOpens || after.GaveUp-before.GaveUp != 4 {
		t.Fatalf("exit %d, breaker opened %d times, gave up on %d reviews", code, after.BreakerOpens-before.BreakerOpens, after.GaveUp-before.GaveUp)
	}
	for name, want := range map[string]int64{"llm_breaker_opens": after.BreakerOpens, "llm_gave_up": after.GaveUp} {
		if got := summaryCount(stderr, name); got != want {
			t.Errorf("summary %s = %d, want %d:\n%s", name, got, want, stderr)
		}
	}

	var log bytes.Buffer
	m, err := startMetrics("127.0.0.1:0", &log)
	if err != nil {
		t.Fatal(err)
	}
	defer m.close()
	resp, err := http.Get(regexp.MustCompile(`http://\S+/metrics`).FindString(log.String()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for name, want := range map[string]int64{"beamlens_llm_rate_limited_total": after.RateLimited, "beamlens_llm_splits_total": after.Splits,
		"beamlens_llm_breaker_opens_total": after.BreakerOpens, "beamlens_llm_gave_up_total": after.GaveUp,
		"beamlens_llm_format_downgrades_total": after.Downgrades} {
		if !strings.Contains(string(body), fmt.Sprintf("# TYPE %s counter\n%s %d\n", name, name, want)) {
			t.Errorf("/metrics lacks %s %d:\n%s", name, want, body)
		}
	}
}
