package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/beamlens/beamlens/internal/metrics"
	"github.com/beamlens/beamlens/internal/retry"
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
// the whole call (credentials, model, a parameter of ours, the context).
//
// Any failure that cannot be pinned on all of b's reviews - a refusal, an
// error object, prose, a request the service refused for its content or
// size - halves b until it stands on one review, which alone fails, with
// the service's own words. Entries missing from an answer are asked again
// (answerRetries more times).
func (e *OpenAIExtractor) runBatch(ctx context.Context, b []*pending, answerRetries int, results []Result) error {
	ans, truncated, err := e.request(ctx, b)
	if err != nil {
		var gu *GaveUpError
		switch {
		case errors.As(err, &gu):
			for _, p := range b {
				e.fail(p, err, results)
			}
			e.stats.gaveUp.Add(int64(len(b)))
			recordGaveUp(gu)
			return nil
		case !itemLevel(err) && !sizeFault(err):
			return err
		case len(b) == 1:
			e.opts.Logger.Warn("llm: review refused", "error", err)
			e.fail(b[0], fmt.Errorf("%w: %w", ErrRejected, err), results)
			return nil
		}
		return e.split(ctx, b, answerRetries, results)
	}
	if ans.err != nil {
		// The answer as a whole broke the contract: one review may have
		// caused it, so narrow it down before asking again.
		if len(b) > 1 {
			return e.split(ctx, b, answerRetries, results)
		}
		if answerRetries > 0 {
			e.stats.answerRetries.Add(1)
			return e.runBatch(ctx, b, answerRetries-1, results)
		}
		e.opts.Logger.Warn("llm: answer broke the wire contract", "reason", ans.err)
		e.fail(b[0], ans.err, results)
		return nil
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
		if reason == "" {
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
	if (truncated || ans.extra > 0) && len(redo) > 1 {
		// The answer ran out of tokens, or answered ids we did not send:
		// ask for fewer reviews at a time.
		e.stats.splits.Add(1)
		if err := e.runBatch(ctx, redo[:len(redo)/2], answerRetries-1, results); err != nil {
			return err
		}
		return e.runBatch(ctx, redo[len(redo)/2:], answerRetries-1, results)
	}
	return e.runBatch(ctx, redo, answerRetries-1, results)
}

// split runs the two halves of b one after the other.
func (e *OpenAIExtractor) split(ctx context.Context, b []*pending, answerRetries int, results []Result) error {
	e.stats.splits.Add(1)
	if err := e.runBatch(ctx, b[:len(b)/2], answerRetries, results); err != nil {
		return err
	}
	return e.runBatch(ctx, b[len(b)/2:], answerRetries, results)
}

// itemLevel reports whether err is the service refusing this request's
// content (400, 413, 422, ... blaming the messages or nothing in
// particular) rather than our credentials, model or URL (401, 403, 404), a
// parameter of ours (Temperature for a reasoning model, say), or its
// availability. Only content refusals are the reviews' fault.
func itemLevel(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) || retry.TransientStatus(se.StatusCode) {
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

// maxLimited is how many 429s in a row one request takes, each waited out
// as the service asked, before it counts as an outage for the breaker.
const maxLimited = 20

// request sends b, retrying transient failures with backoff, stepping the
// response format and the instructions' role down when the server refuses
// them, and waiting behind the circuit breaker while the service is down.
// It returns the parsed answer (possibly broken), whether the model ran out
// of tokens, or the error that ended the attempts: a *GaveUpError when the
// breaker gave up.
func (e *OpenAIExtractor) request(ctx context.Context, b []*pending) (reply, bool, error) {
	texts := make([]string, len(b))
	for i, p := range b {
		texts[i] = p.text
	}
	user := reviewsMessage(texts)
	tokens := estTokens(e.system) + estTokens(user) + perRequestTokens + perAnswerTokens*len(b)
	attempt, limited := 0, 0
	for {
		probe, err := e.breaker.wait(ctx)
		if err != nil {
			return reply{}, false, err
		}
		format, role := int(e.format.Load()), int(e.role.Load())
		resp, info, g, err := e.send(ctx, e.chatRequest(user, format, role), tokens)
		if info != nil && info.status != http.StatusTooManyRequests {
			e.pacer.answered()
		}
		if err == nil && info.bodyError == nil {
			e.breaker.answered()
			e.stats.promptTokens.Add(int64(resp.Usage.PromptTokens))
			e.stats.completionTokens.Add(int64(resp.Usage.CompletionTokens))
			return readReply(resp, len(b))
		}
		if cerr := context.Cause(ctx); cerr != nil {
			e.breaker.released(probe)
			return reply{}, false, cerr
		}
		if info == nil { // no request was made: the context ended while it waited for the limiter
			e.breaker.released(probe)
			return reply{}, false, err
		}
		if info.bodyError != nil {
			err = info.bodyError
			if !transientBody(info.bodyError) {
				// The service answered, about these reviews: narrow down.
				e.breaker.answered()
				return reply{err: &answerError{reason: e.redact.text(info.bodyError.Error())}}, false, nil
			}
		} else {
			err = e.classify(err, info)
		}
		var ae *answerError
		if errors.As(err, &ae) {
			e.breaker.answered()
			return reply{err: err}, false, nil
		}
		if formatRejected(err, format) {
			e.breaker.answered()
			if e.format.CompareAndSwap(int32(format), int32(format+1)) {
				e.stats.downgrades.Add(1)
				e.opts.Logger.Warn("llm: server refused the response format; stepping down",
					"from", formats[format], "to", formats[format+1], "error", err)
			}
			continue
		}
		if roleRejected(err, roles[role]) {
			e.breaker.answered()
			if e.role.CompareAndSwap(int32(role), int32(slices.Index(roles, RoleUser))) {
				e.opts.Logger.Warn("llm: model refused the instructions' role; folding them into the user message",
					"role", roles[role], "error", err)
			}
			continue
		}
		if !retry.Transient(err) || sizeFault(err) {
			e.breaker.answered()
			return reply{}, false, err
		}
		var se *StatusError
		rateLimited := errors.As(err, &se) && se.StatusCode == http.StatusTooManyRequests
		switch {
		case probe:
			// The service is still down: the breaker waits longer.
			e.breaker.trip(err, true)
			e.opts.Logger.Debug("llm: probe failed", "error", err)
			continue
		case rateLimited && limited < maxLimited:
			// The account is busy, the service is up: wait as asked, on
			// every request of the extractor, without using up a retry.
			limited++
		case attempt >= max(0, e.opts.MaxRetries) || rateLimited:
			if open, _, _ := e.breaker.state(); !open {
				e.opts.Logger.Warn("llm: service unavailable; holding every request back until it answers",
					"attempts", attempt+1, "error", err)
			}
			e.breaker.trip(err, false)
			attempt, limited = 0, 0
			continue
		default:
			attempt++
		}
		delay := e.retryDelay(max(attempt, 1), err)
		if rateLimited {
			e.pauseFor(delay)
			g.giveBack()
			e.pacer.limited(se.RetryAfter)
			e.stats.rateLimited.Add(1)
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
	if c.Message.Refusal != "" && strings.TrimSpace(c.Message.Content) == "" {
		return reply{err: &answerError{reason: "the model refused: " + cut(c.Message.Refusal, 300)}}, truncated, nil
	}
	if strings.TrimSpace(c.Message.Content) == "" {
		reason := "empty answer"
		if c.FinishReason != "" {
			reason += " (finish_reason " + string(c.FinishReason) + ")"
		}
		if rc := c.Message.ReasoningContent; rc != "" {
			reason += fmt.Sprintf("; the model reasoned for %d bytes and gave no answer: raise max_completion_tokens or use a model that answers", len(rc))
		}
		return reply{err: &answerError{reason: reason}}, truncated, nil
	}
	a, err := parseAnswer(c.Message.Content, n)
	if err != nil {
		var ae *answerError
		if errors.As(err, &ae) && c.Message.ReasoningContent != "" {
			ae.reason += "; its reasoning_content began: " + strconv.Quote(cut(strings.TrimSpace(c.Message.ReasoningContent), 120))
		}
		return reply{err: err}, truncated, nil
	}
	if n == 1 && len(a.themes) == 0 && len(a.broken) == 0 && a.extra == 1 && a.lone != nil {
		// One review, one entry under an id we did not send ("r1", "0"):
		// it can only be that review's.
		a.themes["1"] = a.lone
	}
	return reply{parsedAnswer: a}, truncated, nil
}

func (e *OpenAIExtractor) chatRequest(user string, format, role int) openai.ChatCompletionRequest {
	msgs := []openai.ChatCompletionMessage{
		{Role: roles[role], Content: e.system},
		{Role: openai.ChatMessageRoleUser, Content: user},
	}
	if roles[role] == RoleUser {
		// One user turn: the instructions, then the reviews after a blank
		// line, so that the reviews are still the message's JSON array.
		msgs = []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: e.system + "\n\nThe reviews:\n" + user}}
	}
	req := openai.ChatCompletionRequest{
		Model:               e.opts.Model,
		Messages:            msgs,
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

// send takes a concurrency slot, then the rate tokens, and makes one
// request under RequestTimeout. The slot comes first so that requests
// leave when the limiter says, not in a bunch when a slot frees. The
// request token is taken at the moment the request leaves, not reserved
// ahead (see takeRequest). The grant is what the request took from the
// limiters: a request the service turns away with a 429 gives it back, as
// the service did not count it. info is nil when no request was made.
func (e *OpenAIExtractor) send(ctx context.Context, req openai.ChatCompletionRequest, tokens int) (openai.ChatCompletionResponse, *callInfo, grant, error) {
	var none openai.ChatCompletionResponse
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return none, nil, grant{}, context.Cause(ctx)
	}
	defer func() { <-e.sem }()
	var g grant
	if e.tokLim != nil {
		n := min(tokens, e.tokLim.Burst())
		now := time.Now()
		r := e.tokLim.ReserveN(now, n)
		d := r.DelayFrom(now)
		if err := sleep(ctx, d); err != nil {
			r.Cancel()
			return none, nil, grant{}, fmt.Errorf("llm: token rate limit: %w", err)
		}
		g.tok, g.tokAt = r, now.Add(d)
	}
	if e.reqLim != nil {
		r, at, err := e.takeRequest(ctx)
		if err != nil {
			g.giveBack()
			return none, nil, grant{}, err
		}
		g.req, g.reqAt = r, at
	} else if err := e.waitPause(ctx); err != nil {
		g.giveBack()
		return none, nil, grant{}, err
	}
	info := &callInfo{}
	rctx, cancel := context.WithTimeout(context.WithValue(ctx, callInfoKey{}, info), e.opts.RequestTimeout)
	defer cancel()
	if e.reqLim != nil {
		at, w := g.reqAt, &written{}
		g.spacing, g.written = &e.spacing, w
		rctx = httptrace.WithClientTrace(rctx, &httptrace.ClientTrace{
			WroteRequest: func(httptrace.WroteRequestInfo) { e.spacing.wrote(w, at, time.Now()) },
		})
	}
	e.stats.calls.Add(1)
	sent := time.Now()
	resp, err := e.client.CreateChatCompletion(rctx, req)
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	metrics.Since(metrics.LLMRequest.WithLabelValues(outcome), sent)
	return resp, info, g, err
}

// takeRequest waits until the request limiter has a token now, after any
// pause a 429 set, and an interval after the latest request was written
// (see spacing), and takes it. A token reserved ahead (rate.Limiter's
// Wait) would fix the request's moment at the reservation: a request that
// wakes a few milliseconds late then leaves less than an interval before
// the next one, which a strict server (burst 1) refuses. Taken at the
// moment of sending, consecutive requests are at least an interval apart
// as they leave.
func (e *OpenAIExtractor) takeRequest(ctx context.Context) (*rate.Reservation, time.Time, error) {
	for {
		if err := e.waitPause(ctx); err != nil {
			return nil, time.Time{}, err
		}
		now := time.Now()
		if need := 1 - e.reqLim.TokensAt(now); need > 0 {
			d := time.Duration(need / float64(e.reqLim.Limit()) * float64(time.Second))
			if err := sleep(ctx, max(d, time.Millisecond/10)); err != nil {
				return nil, time.Time{}, err
			}
			continue
		}
		interval := time.Duration(float64(time.Second) / float64(e.reqLim.Limit()))
		if next := e.spacing.earliest(interval); now.Before(next) {
			if err := sleep(ctx, next.Sub(now)); err != nil {
				return nil, time.Time{}, err
			}
			continue
		}
		r := e.reqLim.ReserveN(now, 1)
		if r.DelayFrom(now) > 0 { // another request took it first
			r.CancelAt(now)
			continue
		}
		return r, now, nil
	}
}

// grant is what one request took from the limiters.
type grant struct {
	req, tok     *rate.Reservation
	reqAt, tokAt time.Time
	spacing      *spacing
	written      *written
}

// giveBack returns the tokens of a request the service did not count (a
// 429), so that its retry, or the next request, may leave when the pause
// ends rather than an interval later. A token another request has taken
// since cannot be returned: the limiter gives back what it still can.
func (g grant) giveBack() {
	if g.req != nil {
		g.req.CancelAt(g.reqAt)
	}
	if g.tok != nil {
		g.tok.CancelAt(g.tokAt)
	}
	if g.spacing != nil {
		g.spacing.forget(g.written)
	}
}

// waitPause waits out the pause after a 429.
func (e *OpenAIExtractor) waitPause(ctx context.Context) error {
	if until := e.pause.Load(); until > 0 {
		return sleep(ctx, time.Until(time.Unix(0, until)))
	}
	return nil
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

// NextStart implements Paced: the first moment the request limiter, the
// spacing after the latest request written and a 429's pause all let a
// request start; now when there is no request limit and no pause.
func (e *OpenAIExtractor) NextStart() time.Time {
	now := time.Now()
	next := now
	if until := e.pause.Load(); until > now.UnixNano() {
		next = time.Unix(0, until)
	}
	if e.reqLim == nil {
		return next
	}
	limit := float64(e.reqLim.Limit())
	if need := 1 - e.reqLim.TokensAt(now); need > 0 {
		if t := now.Add(time.Duration(need / limit * float64(time.Second))); t.After(next) {
			next = t
		}
	}
	if t := e.spacing.earliest(time.Duration(float64(time.Second) / limit)); t.After(next) {
		next = t
	}
	return next
}
