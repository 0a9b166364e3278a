package llm_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/beamlens/beamlens/models/llm"
)

func TestPing(t *testing.T) {
	const key = "sk-right-key"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+key {
			http.Error(w, "bad key", http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/v1/models" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"data":[]}`))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t.Setenv("OPENAI_API_KEY", key)
	if err := llm.Ping(ctx, llm.Options{BaseURL: srv.URL + "/v1"}); err != nil {
		t.Fatalf("right key: %v", err)
	}
	if err := llm.Ping(ctx, llm.Options{BaseURL: srv.URL + "/api"}); err != nil {
		t.Errorf("a server without a model list (404) answers all the same: %v", err)
	}
	t.Setenv("OPENAI_API_KEY", "sk-wrong-key")
	err := llm.Ping(ctx, llm.Options{BaseURL: srv.URL + "/v1"})
	if err == nil || !strings.Contains(err.Error(), "refused the API key (HTTP 401)") || strings.Contains(err.Error(), "sk-wrong") {
		t.Errorf("wrong key: %v", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String() + "/v1"
	ln.Close()
	err = llm.Ping(ctx, llm.Options{BaseURL: dead})
	if err == nil || !strings.Contains(err.Error(), "no answer from the LLM server at "+dead) {
		t.Errorf("no server: %v", err)
	}
}
