package llmtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, url, body string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

const reviews = `[{\"id\":\"a\",\"text\":\"Battery died fast.\"},{\"id\":\"b\",\"text\":\"Too expensive.\"}]`

func chatBody(format string) string {
	rf := ""
	if format != "" {
		rf = `,"response_format":{"type":"` + format + `"}`
	}
	return `{"model":"m","messages":[{"role":"system","content":"x"},{"role":"user","content":"` + reviews + `"}]` + rf + `}`
}

func content(t *testing.T, body string) string {
	t.Helper()
	var r struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Choices) != 1 || r.Usage.PromptTokens == 0 {
		t.Fatalf("not a chat completion with usage: %s", body)
	}
	return r.Choices[0].Message.Content
}

func TestAnswersTheWireContract(t *testing.T) {
	s := NewServer(Config{})
	defer s.Close()
	resp, body := post(t, s.URL()+"/chat/completions", chatBody("json_schema"), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	want := `{"reviews":[{"id":"a","themes":["battery life"]},{"id":"b","themes":["price"]}]}`
	if got := content(t, body); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	_, body = post(t, s.RootURL()+"/chat/completions", chatBody(""), nil)
	if got := content(t, body); !strings.Contains(got, "```json\n"+want+"\n```") {
		t.Errorf("text mode: %s", got)
	}
	st := s.Stats()
	if st.Requests != 2 || st.Reviews != 4 || st.Answered != 2 || st.Formats["json_schema"] != 1 || st.Formats["none"] != 1 {
		t.Errorf("stats %+v", st)
	}
	if resp, _ := post(t, s.URL()+"/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, nil); resp.StatusCode != 400 {
		t.Errorf("a request without reviews got %d", resp.StatusCode)
	}
}

func TestInjectedFaults(t *testing.T) {
	s := NewServer(Config{RetryAfter: 1500 * time.Millisecond})
	defer s.Close()
	s.Inject(RateLimit, ServerError, MissingID, ExtraID, WrongSchema, Garbage, BrokenBody)
	resp, _ := post(t, s.URL()+"/chat/completions", chatBody("json_object"), nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || resp.Header.Get("Retry-After-Ms") != "1500" {
		t.Errorf("rate limit: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := post(t, s.URL()+"/chat/completions", chatBody(""), nil); resp.StatusCode < 500 {
		t.Errorf("server error: %d", resp.StatusCode)
	}
	_, body := post(t, s.URL()+"/chat/completions", chatBody("json_schema"), nil)
	if c := content(t, body); strings.Contains(c, `"b"`) || !strings.Contains(c, `"a"`) {
		t.Errorf("missing id: %s", c)
	}
	_, body = post(t, s.URL()+"/chat/completions", chatBody("json_schema"), nil)
	if c := content(t, body); !strings.Contains(c, `"extra-`) {
		t.Errorf("extra id: %s", c)
	}
	_, body = post(t, s.URL()+"/chat/completions", chatBody("json_schema"), nil)
	if c := content(t, body); !strings.Contains(c, `"themes":"battery life"`) {
		t.Errorf("wrong schema: %s", c)
	}
	_, body = post(t, s.URL()+"/chat/completions", chatBody("json_schema"), nil)
	if c := content(t, body); json.Valid([]byte(c)) {
		t.Errorf("garbage is JSON: %s", c)
	}
	_, body = post(t, s.URL()+"/chat/completions", chatBody("json_schema"), nil)
	if json.Valid([]byte(body)) {
		t.Errorf("broken body is JSON: %s", body)
	}
	if m := s.Stats().Modes; m[RateLimit] != 1 || m[BrokenBody] != 1 || m[OK] != 0 {
		t.Errorf("modes %v", m)
	}
}

func TestResetAndTimeout(t *testing.T) {
	s := NewServer(Config{HangFor: 50 * time.Millisecond})
	defer s.Close()
	s.Inject(Reset, Timeout)
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/chat/completions", strings.NewReader(chatBody("")))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Error("reset: got an answer")
	}
	if resp, _ := post(t, s.URL()+"/chat/completions", chatBody(""), nil); resp.StatusCode != 504 {
		t.Errorf("timeout: %d", resp.StatusCode)
	}
}

func TestRefusals(t *testing.T) {
	// A budget of two requests at once: the refused response_format counts
	// (a request counts when it arrives), the bad key does not.
	s := NewServer(Config{APIKey: "k1", RejectResponseFormat: "json_schema", RequestsPerMinute: 60, Burst: 2})
	defer s.Close()
	resp, body := post(t, s.URL()+"/chat/completions", chatBody(""), http.Header{"Authorization": {"Bearer nope"}})
	if resp.StatusCode != 401 || !strings.Contains(body, "nope") {
		t.Errorf("bad key: %d %s", resp.StatusCode, body)
	}
	ok := http.Header{"Authorization": {"Bearer k1"}}
	resp, body = post(t, s.URL()+"/chat/completions", chatBody("json_schema"), ok)
	if resp.StatusCode != 400 || !strings.Contains(body, "response_format") {
		t.Errorf("json_schema: %d %s", resp.StatusCode, body)
	}
	if resp, _ := post(t, s.URL()+"/chat/completions", chatBody("json_object"), ok); resp.StatusCode != 200 {
		t.Errorf("json_object: %d", resp.StatusCode)
	}
	resp, _ = post(t, s.URL()+"/chat/completions", chatBody("json_object"), http.Header{"Api-Key": {"k1"}})
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("over budget: %d %v", resp.StatusCode, resp.Header)
	}
	if st := s.Stats(); st.Unauthorized != 1 || st.Rejected != 1 || st.OverBudget != 1 || st.Answered != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestDrawsAreSeeded(t *testing.T) {
	draw := func() []Mode {
		s := NewServer(Config{Seed: 7, GarbageProb: 0.3, ServerErrorProb: 0.3})
		defer s.Close()
		var out []Mode
		for range 40 {
			out = append(out, s.nextMode())
		}
		return out
	}
	a, b := draw(), draw()
	seen := map[Mode]bool{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed, different draws")
		}
		seen[a[i]] = true
	}
	if !seen[OK] || !seen[Garbage] || !seen[ServerError] || len(seen) != 3 {
		t.Errorf("draws %v", a)
	}
}
