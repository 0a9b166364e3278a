package llm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beamlens/beamlens/internal/retry"
	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/models/llm/llmtest"
)

// TestAPIKeyNeverShows checks that the key reaches the server and nothing
// else: not errors (even when the server quotes it back), Stats, logs, fmt
// output or the JSON of the options.
func TestAPIKeyNeverShows(t *testing.T) {
	const key = "sk-test-9f8e7d6c5b4a3210fedcba9876543210"
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var seen []string
	leaks := func(what string, s string) {
		t.Helper()
		seen = append(seen, s)
		for _, part := range []string{key, key[:len(key)/2], key[len(key)/2:]} {
			if strings.Contains(s, part) {
				t.Errorf("%s shows the key: %s", what, s)
			}
		}
	}
	withKey := func(srv *llmtest.Server) *llm.OpenAIExtractor {
		return newExtractor(t, srv, func(o *llm.Options) {
			o.NoAPIKey, o.APIKeyFile, o.Logger = false, file, logger
		})
	}

	// A server that refuses the key and quotes it back, as OpenAI does.
	wrong := startServer(t, llmtest.Config{APIKey: "sk-the-right-one-0000000000000000"})
	e := withKey(wrong)
	res, err := e.Extract(context.Background(), reviewItems(t, 3, 20))
	var se *llm.StatusError
	if err == nil || res != nil || !errors.As(err, &se) || se.StatusCode != 401 || retry.Transient(err) {
		t.Fatalf("got %v, %v; want a 401 call error", res, err)
	}
	if wrong.Stats().Unauthorized == 0 {
		t.Fatal("the server never saw a key")
	}
	leaks("error", err.Error())
	if !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("the server's quote of the key is not marked redacted: %v", err)
	}
	leaks("error %+v", fmt.Sprintf("%+v %#v", err, err))

	// A server that takes it, with faults to make the extractor log.
	right := startServer(t, llmtest.Config{APIKey: key, RetryAfter: 20 * time.Millisecond})
	e2 := withKey(right)
	right.Inject(llmtest.ServerError, llmtest.Garbage, llmtest.RateLimit)
	items := reviewItems(t, 3, 21)
	checkResults(t, items, extract(t, e2, items), false)
	if right.Stats().Unauthorized != 0 {
		t.Fatal("the right key was refused")
	}

	for _, x := range []*llm.OpenAIExtractor{e, e2} {
		leaks("fmt", fmt.Sprintf("%v %+v %#v %s %q %x", x, x, x, x, x, x))
		leaks("String", x.String())
		leaks("Stats", fmt.Sprintf("%+v", x.Stats()))
	}
	opts := llm.Options{APIKeyFile: file}
	b, _ := json.Marshal(opts)
	leaks("options", fmt.Sprintf("%+v %#v %s", opts, opts, b))
	leaks("logs", logs.String())
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("no retry logged: %s", logs.String())
	}
	if !strings.Contains(fmt.Sprint(e), "[REDACTED]") {
		t.Errorf("String does not mark the key redacted: %v", e)
	}
}

func TestAPIKeySources(t *testing.T) {
	t.Setenv("BEAMLENS_TEST_KEY", "")
	o := llm.Options{APIKeyEnv: "BEAMLENS_TEST_KEY"}
	if _, err := llm.NewOpenAIExtractor(o); !errors.Is(err, llm.ErrNoAPIKey) {
		t.Errorf("no key: got %v, want ErrNoAPIKey", err)
	}
	if o.HasAPIKey() {
		t.Error("HasAPIKey with no key")
	}
	t.Setenv("BEAMLENS_TEST_KEY", "from-env")
	if _, err := llm.NewOpenAIExtractor(o); err != nil || !o.HasAPIKey() {
		t.Errorf("key in env: %v", err)
	}
	o.APIKeyFile = filepath.Join(t.TempDir(), "missing")
	_, err := llm.NewOpenAIExtractor(o)
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing key file: got %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	_ = os.WriteFile(empty, []byte(" \n"), 0o600)
	o.APIKeyFile = empty
	if _, err := llm.NewOpenAIExtractor(o); !errors.Is(err, llm.ErrNoAPIKey) {
		t.Errorf("empty key file: got %v", err)
	}
	o.NoAPIKey = true
	if _, err := llm.NewOpenAIExtractor(o); err != nil {
		t.Errorf("NoAPIKey: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := (llm.Options{}).Validate(); err != nil {
		t.Fatalf("zero Options: %v", err)
	}
	for _, c := range []struct {
		o    llm.Options
		want string
	}{
		{llm.Options{Provider: "bedrock"}, "Provider"},
		{llm.Options{BaseURL: "localhost:8000"}, "BaseURL"},
		{llm.Options{Provider: llm.ProviderAzure}, "BaseURL"},
		{llm.Options{BatchSize: -1}, "BatchSize"},
		{llm.Options{MaxConcurrency: -2}, "MaxConcurrency"},
		{llm.Options{RequestTimeout: -1}, "RequestTimeout"},
		{llm.Options{InitialBackoff: time.Minute}, "MaxBackoff"},
		{llm.Options{ResponseFormat: "xml"}, "ResponseFormat"},
		{llm.Options{Temperature: 3}, "Temperature"},
		{llm.Options{BaseURL: "http://user:hunter2@[::1"}, "BaseURL"},
	} {
		err := c.o.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), "llm.Options: "+c.want) {
			t.Errorf("%+v: got %v, want llm.Options: %s ...", c.o, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error shows a URL password: %v", err)
		}
		if _, nerr := llm.NewOpenAIExtractor(c.o); nerr == nil {
			t.Errorf("%+v: NewOpenAIExtractor accepted it", c.o)
		}
	}
}
