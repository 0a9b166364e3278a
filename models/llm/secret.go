package llm

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// redacted stands in for the API key wherever text could carry it.
const redacted = "[REDACTED]"

// loadAPIKey reads the key from o.APIKeyFile, else the environment variable
// o.APIKeyEnv. Errors name the file or variable, never the content.
func loadAPIKey(o Options) (string, error) {
	if o.APIKeyFile != "" {
		b, err := os.ReadFile(o.APIKeyFile)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", fmt.Errorf("llm: reading API key file %q: %w", o.APIKeyFile, err)
		}
		if k := strings.TrimSpace(string(b)); k != "" {
			return k, nil
		}
		if !o.NoAPIKey {
			return "", fmt.Errorf("%w: file %q is empty", ErrNoAPIKey, o.APIKeyFile)
		}
		return "", nil
	}
	if k := strings.TrimSpace(os.Getenv(o.APIKeyEnv)); k != "" {
		return k, nil
	}
	if o.NoAPIKey {
		return "", nil
	}
	return "", fmt.Errorf("%w: set %s or Options.APIKeyFile, or Options.NoAPIKey for a server that needs none", ErrNoAPIKey, o.APIKeyEnv)
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
