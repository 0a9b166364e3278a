package llm

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Ping sends the cheapest request an OpenAI-compatible API answers - the
// model list, GET {BaseURL}/models, no tokens spent - with the key o finds,
// and reports a server that does not answer or refuses the key. Any other
// answer passes, a 404 included (some servers have no model list): the
// point is to fail in a second, before a pipeline starts, rather than on
// the first batch of reviews. Azure is not pinged (its model list lives
// elsewhere); nil.
func Ping(ctx context.Context, o Options) error {
	o = o.withDefaults()
	if o.Provider != ProviderOpenAI {
		return nil
	}
	key, err := loadAPIKey(o)
	if err != nil {
		return err
	}
	where := redactURL(o.BaseURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(o.BaseURL, "/")+"/models", nil)
	if err != nil {
		return fmt.Errorf("LLM base URL %s: %w", where, err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// The transport's error names the URL, never the header.
		return fmt.Errorf("no answer from the LLM server at %s (check --llm-base-url, or that the server runs): %v", where, trimURLError(err))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fmt.Errorf("the LLM server at %s refused the API key (HTTP %d): check %s or --llm-api-key-file", where, resp.StatusCode, o.APIKeyEnv)
	}
	return nil
}

// trimURLError keeps the cause of a *url.Error: the URL is said already.
func trimURLError(err error) error {
	type unwrapper interface{ Unwrap() error }
	if u, ok := err.(unwrapper); ok && strings.HasPrefix(err.Error(), "Get ") {
		if inner := u.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}
