package llmtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// request is what the server reads of a chat completion request.
type request struct {
	model     string
	firstRole string
	bytes     int    // of the whole body
	format    string // response_format type, or "none"
	prompt    int    // bytes of all message contents
	reviews   []review
}

type review struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// readRequest decodes the body and the reviews of its last user message,
// independently of the llm package's own encoding.
func readRequest(r *http.Request) (request, error) {
	var body struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		ResponseFormat *struct {
			Type string `json:"type"`
		} `json:"response_format"`
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err == nil {
		err = json.Unmarshal(raw, &body)
	}
	if err != nil {
		return request{}, fmt.Errorf("body is not a chat completion request: %v", err)
	}
	req := request{model: body.Model, format: "none", bytes: len(raw)}
	if len(body.Messages) > 0 {
		req.firstRole = body.Messages[0].Role
	}
	if body.ResponseFormat != nil && body.ResponseFormat.Type != "" {
		req.format = body.ResponseFormat.Type
	}
	last := ""
	for _, m := range body.Messages {
		var s string
		if json.Unmarshal(m.Content, &s) != nil {
			return request{}, errors.New("message content must be a string")
		}
		req.prompt += len(s)
		if m.Role == "user" {
			last = s
		}
	}
	// With the instructions folded into the user turn, the reviews are the
	// message's last line.
	if i := strings.LastIndex(last, "\n"); i >= 0 && !json.Valid([]byte(last)) {
		last = last[i+1:]
	}
	if err := json.Unmarshal([]byte(last), &req.reviews); err != nil || len(req.reviews) == 0 {
		return request{}, errors.New("the last user message is not a JSON array of reviews")
	}
	return req, nil
}

type entry struct {
	ID     string   `json:"id"`
	Themes []string `json:"themes"`
}

// answer writes the reply for mode.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, req request, mode Mode) {
	switch mode {
	case RateLimit:
		s.rateLimited(w, s.cfg.RetryAfter)
		return
	case ServerError:
		codes := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}
		code := codes[int(s.seq.Add(1))%len(codes)]
		writeError(w, code, "server_error", "The server had an error while processing your request.", "")
		return
	case Timeout:
		select {
		case <-r.Context().Done():
		case <-time.After(s.cfg.HangFor):
			writeError(w, http.StatusGatewayTimeout, "timeout", "upstream timed out", "")
		}
		return
	case Reset:
		reset(w)
		return
	case BrokenBody:
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
		return
	case ErrorBody:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
			"message": "Upstream provider flagged this input as a policy violation.", "code": 502}})
		return
	case Refusal, NullContent:
		msg := map[string]any{"role": "assistant", "content": nil}
		if mode == Refusal {
			msg["refusal"] = "I'm sorry, I can't help with that."
		} else {
			msg["reasoning_content"] = "The user wants themes. Let me think about each review in turn..."
		}
		s.writeCompletion(w, req, msg, "", "stop")
		return
	}
	content := s.content(req, mode)
	if req.format == "none" && mode == OK {
		content = "Here are the themes:\n```json\n" + content + "\n```"
	}
	if s.cfg.Reasoning && mode == OK {
		content = "<think>\nThe answer must look like {\"reviews\": [{\"id\": ..., \"themes\": [...]}]}. " +
			"The first review is about delivery, so its themes are [\"delivery\"].\n</think>\n\n" + content
	}
	if mode == OK {
		s.count(func(st *Stats) { st.Answered++ })
	}
	s.writeCompletion(w, req, map[string]any{"role": "assistant", "content": content}, content, "stop")
}

// writeCompletion writes a chat completion holding msg, counting the
// usage it reports.
func (s *Server) writeCompletion(w http.ResponseWriter, req request, msg map[string]any, content, finish string) {
	completion := (len(content) + 3) / 4
	prompt := (req.prompt + 3) / 4
	s.count(func(st *Stats) {
		st.PromptTokens += int64(prompt)
		st.CompletionTokens += int64(completion)
	})
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id":      fmt.Sprintf("chatcmpl-llmtest-%d", s.seq.Add(1)),
		"object":  "chat.completion",
		"created": time.Now().Unix(),
		"model":   req.model,
		"choices": []map[string]any{{
			"index":         0,
			"message":       msg,
			"finish_reason": finish,
		}},
		"usage": map[string]int{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
	})
}

// content is the assistant's message: the contract's answer, or a
// corruption of it.
func (s *Server) content(req request, mode Mode) string {
	if mode == Garbage {
		return "Sure! The reviews talk about battery life, and some about delivery."
	}
	entries := make([]entry, 0, len(req.reviews)+1)
	for _, rv := range req.reviews {
		entries = append(entries, entry{ID: rv.ID, Themes: s.cfg.Themes(rv.Text)})
	}
	switch mode {
	case MissingID:
		entries = entries[:len(entries)-1]
	case ExtraID:
		entries = append(entries, entry{ID: "extra-" + fmt.Sprint(s.seq.Add(1)), Themes: []string{"price"}})
	case WrongSchema:
		if len(entries) == 1 {
			b, _ := json.Marshal(map[string]any{"results": entries})
			return string(b)
		}
		out := make([]map[string]any, len(entries))
		for i, e := range entries {
			out[i] = map[string]any{"id": e.ID, "themes": e.Themes}
		}
		out[0]["themes"] = strings.Join(entries[0].Themes, ", ")
		b, _ := json.Marshal(map[string]any{"reviews": out})
		return string(b)
	}
	b, _ := json.Marshal(map[string]any{"reviews": entries})
	return string(b)
}

// reset closes the connection with a TCP RST, leaving the client no answer.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("llmtest: response writer cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
