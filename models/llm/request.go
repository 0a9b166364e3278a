package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Token estimates beyond the texts: the JSON around one review, the answer
// for one review, and the chat framing of a request.
const (
	perReviewTokens  = 8
	perAnswerTokens  = 24
	perRequestTokens = 16
)

// batches packs texts, in order, into requests of at most BatchSize reviews
// and MaxBatchTokens estimated tokens (a longer review travels alone).
func (e *OpenAIExtractor) batches(ps []*pending) [][]*pending {
	var out [][]*pending
	var cur []*pending
	tokens := 0
	for _, p := range ps {
		t := estTokens(p.text) + perReviewTokens
		if len(cur) > 0 && (len(cur) >= e.opts.BatchSize || tokens+t > e.opts.MaxBatchTokens) {
			out = append(out, cur)
			cur, tokens = nil, 0
		}
		cur = append(cur, p)
		tokens += t
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// runBatch asks for b's themes and settles every review of b: answered, or
// failed with a per-item error. It returns an error only for a failure of
// the whole call. Reviews whose answer broke the contract are asked again
// (answerRetries more times); a batch the service refuses is halved until
// the refused review stands alone.
func (e *OpenAIExtractor) runBatch(ctx context.Context, b []*pending, answerRetries int, results []Result) error {
	ans, truncated, err := e.request(ctx, b)
	if err != nil {
		if !itemLevel(err) {
			return err
		}
		if len(b) == 1 {
			e.opts.Logger.Warn("llm: review refused", "error", err)
			e.fail(b[0], fmt.Errorf("%w: %w", ErrRejected, err), results)
			return nil
		}
		e.stats.splits.Add(1)
		if err := e.runBatch(ctx, b[:len(b)/2], answerRetries, results); err != nil {
			return err
		}
		return e.runBatch(ctx, b[len(b)/2:], answerRetries, results)
	}
	var redo []*pending
	var why []string
	for i, p := range b {
		id := strconv.Itoa(i + 1)
		if th, ok := ans.themes[id]; ok {
			e.answer(p, th, results)
			continue
		}
		reason := ans.broken[id]
		var ae *answerError
		if errors.As(ans.err, &ae) {
			reason = ae.reason
		} else if reason == "" {
			reason = "answer has no entry for the review"
		}
		redo, why = append(redo, p), append(why, reason)
	}
	if len(redo) == 0 {
		return nil
	}
	if answerRetries <= 0 {
		e.opts.Logger.Warn("llm: answers broke the wire contract", "reviews", len(redo), "reason", why[0])
		for i, p := range redo {
			e.fail(p, &answerError{reason: why[i]}, results)
		}
		return nil
	}
	e.stats.answerRetries.Add(1)
	if truncated && len(redo) > 1 {
		// The answer ran out of tokens: ask for fewer reviews at a time.
		if err := e.runBatch(ctx, redo[:len(redo)/2], answerRetries-1, results); err != nil {
			return err
		}
		return e.runBatch(ctx, redo[len(redo)/2:], answerRetries-1, results)
	}
	return e.runBatch(ctx, redo, answerRetries-1, results)
}

// itemLevel reports whether err is the service refusing this request's
// content (400, 413, 422, ... blaming the messages or nothing in
// particular) rather than our credentials, model or URL (401, 403, 404), a
// parameter of ours (Temperature for a reasoning model, say), or its
// availability. Only content refusals are the reviews' fault.
func itemLevel(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) || retryableStatus(se.StatusCode) {
		return false
	}
	switch se.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed:
		return false
	}
	switch se.Param {
	case "", "messages", "prompt", "input":
	default:
		return false
	}
	return se.StatusCode >= 400 && se.StatusCode < 500
}

// reply is a request's answer: themes by wire id, broken entries, or err
// when the answer as a whole broke the contract.
type reply struct {
	parsedAnswer
	err error
}

// request sends b, retrying transient failures with backoff and stepping the
// response format down when the server refuses it. It returns the parsed
// answer (possibly broken), whether the model ran out of tokens, or the
// error that ended the attempts.
func (e *OpenAIExtractor) request(ctx context.Context, b []*pending) (reply, bool, error) {
	texts := make([]string, len(b))
	for i, p := range b {
		texts[i] = p.text
	}
	user := reviewsMessage(texts)
	tokens := estTokens(e.system) + estTokens(user) + perRequestTokens + perAnswerTokens*len(b)
	for attempt := 0; ; {
		format := int(e.format.Load())
		resp, info, err := e.send(ctx, e.chatRequest(user, format), tokens)
		if err == nil {
			e.stats.promptTokens.Add(int64(resp.Usage.PromptTokens))
			e.stats.completionTokens.Add(int64(resp.Usage.CompletionTokens))
			return readReply(resp, len(b))
		}
		if cerr := context.Cause(ctx); cerr != nil {
			return reply{}, false, cerr
		}
		if info == nil { // the limiter refused: the context cannot wait long enough
			return reply{}, false, err
		}
		err = e.classify(err, info)
		var ae *answerError
		if errors.As(err, &ae) {
			return reply{err: err}, false, nil
		}
		if formatRejected(err, format) {
			if e.format.CompareAndSwap(int32(format), int32(format+1)) {
				e.stats.downgrades.Add(1)
				e.opts.Logger.Warn("llm: server refused the response format; stepping down",
					"from", formats[format], "to", formats[format+1], "error", err)
			}
			continue
		}
		if !IsRetryable(err) {
			return reply{}, false, err
		}
		if attempt >= max(0, e.opts.MaxRetries) {
			return reply{}, false, fmt.Errorf("%w: %d attempts failed, the last with: %w", ErrUnavailable, attempt+1, err)
		}
		attempt++
		delay := e.retryDelay(attempt, err)
		var se *StatusError
		if errors.As(err, &se) && se.StatusCode == 429 {
			e.pauseFor(delay)
		}
		e.stats.retries.Add(1)
		e.opts.Logger.Debug("llm: retrying", "attempt", attempt, "after", delay, "error", err)
		if err := sleep(ctx, delay); err != nil {
			return reply{}, false, err
		}
	}
}

func readReply(resp openai.ChatCompletionResponse, n int) (reply, bool, error) {
	if len(resp.Choices) == 0 {
		return reply{err: &answerError{reason: "answer has no choices"}}, false, nil
	}
	c := resp.Choices[0]
	truncated := c.FinishReason == openai.FinishReasonLength
	if c.Message.Refusal != "" && c.Message.Content == "" {
		return reply{err: &answerError{reason: "the model refused"}}, truncated, nil
	}
	a, err := parseAnswer(c.Message.Content, n)
	if err != nil {
		return reply{err: err}, truncated, nil
	}
	return reply{parsedAnswer: a}, truncated, nil
}

func (e *OpenAIExtractor) chatRequest(user string, format int) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{
		Model: e.opts.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: e.system},
			{Role: openai.ChatMessageRoleUser, Content: user},
		},
		MaxCompletionTokens: e.opts.MaxCompletionTokens,
		Temperature:         e.opts.Temperature,
	}
	switch formats[format] {
	case FormatJSONSchema:
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name: "review_themes", Schema: answerSchema, Strict: true,
			},
		}
	case FormatJSONObject:
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	}
	return req
}

// send waits for the pause after a 429, the rate limiters and a concurrency
// slot, then makes one request under RequestTimeout. info is nil when no
// request was made.
func (e *OpenAIExtractor) send(ctx context.Context, req openai.ChatCompletionRequest, tokens int) (openai.ChatCompletionResponse, *callInfo, error) {
	var none openai.ChatCompletionResponse
	if until := e.pause.Load(); until > 0 {
		if err := sleep(ctx, time.Until(time.Unix(0, until))); err != nil {
			return none, nil, err
		}
	}
	if e.reqLim != nil {
		if err := e.reqLim.Wait(ctx); err != nil {
			return none, nil, fmt.Errorf("llm: request rate limit: %w", err)
		}
	}
	if e.tokLim != nil {
		if err := e.tokLim.WaitN(ctx, min(tokens, e.tokLim.Burst())); err != nil {
			return none, nil, fmt.Errorf("llm: token rate limit: %w", err)
		}
	}
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return none, nil, context.Cause(ctx)
	}
	defer func() { <-e.sem }()
	info := &callInfo{}
	rctx, cancel := context.WithTimeout(context.WithValue(ctx, callInfoKey{}, info), e.opts.RequestTimeout)
	defer cancel()
	e.stats.calls.Add(1)
	resp, err := e.client.CreateChatCompletion(rctx, req)
	return resp, info, err
}

// pauseFor holds every request of the extractor back for d: a 429 is about
// the account, not the one request that drew it.
func (e *OpenAIExtractor) pauseFor(d time.Duration) {
	until := time.Now().Add(d).UnixNano()
	for {
		cur := e.pause.Load()
		if cur >= until || e.pause.CompareAndSwap(cur, until) {
			return
		}
	}
}
