package llm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/beamlens/beamlens/internal/secret"
)

// redacted stands in for the API key wherever text could carry it.
const redacted = "[REDACTED]"

// loadAPIKey reads the key from o.APIKeyFile, else the environment variable
// o.APIKeyEnv. Errors name the file or variable, never the content.
func loadAPIKey(o Options) (string, error) {
	k, err := secret.Load(o.APIKeyFile, o.APIKeyEnv)
	switch {
	case err == nil:
		return k, nil
	case errors.Is(err, secret.ErrEmpty) && o.NoAPIKey:
		return "", nil
	case errors.Is(err, secret.ErrEmpty):
		return "", fmt.Errorf("%w: %w; set %s or Options.APIKeyFile, or Options.NoAPIKey for a server that needs none", ErrNoAPIKey, err, o.APIKeyEnv)
	}
	return "", fmt.Errorf("llm: API key: %w", err)
}

// HasAPIKey reports whether o finds an API key (or needs none), so that a
// pipeline can choose the offline model up front.
func (o Options) HasAPIKey() bool {
	_, err := loadAPIKey(o.withDefaults())
	return err == nil
}

// redactor removes the key from text that may echo it (an error body of a
// service that quotes the key it refused). It lives behind a pointer so that
// fmt, which prints nested pointers as addresses, never reaches the key.
type redactor struct{ key string }

func (r *redactor) String() string   { return redacted }
func (r *redactor) GoString() string { return redacted }

func (r *redactor) text(s string) string {
	if r == nil || len(r.key) < 4 {
		return s
	}
	s = strings.ReplaceAll(s, r.key, redacted)
	// Services quote keys abbreviated ("sk-abc...wxyz", "sk-abc***wxyz"):
	// drop any long run of the key too.
	if len(r.key) >= 16 {
		for _, part := range []string{r.key[:len(r.key)/2], r.key[len(r.key)/2:]} {
			s = strings.ReplaceAll(s, part, redacted)
		}
	}
	return s
}
