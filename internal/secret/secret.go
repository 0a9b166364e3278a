package secret

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// ErrEmpty is wrapped by Load's error when the file or variable holds
// nothing but white space, or the variable is unset. Callers whose secret
// is optional (a model server that needs no token) test for it with
// errors.Is.
var ErrEmpty = errors.New("secret is empty")

// Load returns the secret in file when file is not "", else the one in
// the environment variable env, trimmed of surrounding white space.
// Errors name file or env, never what they hold: an unreadable file, or a
// value that is empty (wrapping ErrEmpty).
func Load(file, env string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			// The path error would name file a second time.
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", fmt.Errorf("reading secret file %s: %w", file, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%w: file %s", ErrEmpty, file)
		}
		return v, nil
	}
	v := strings.TrimSpace(os.Getenv(env))
	if v == "" {
		return "", fmt.Errorf("%w: environment variable %s is empty or unset", ErrEmpty, env)
	}
	return v, nil
}
