package secret_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beamlens/beamlens/internal/secret"
)

func write(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	const env = "BEAMLENS_TEST_SECRET"
	t.Setenv(env, " \tfrom-env \r\n")
	for _, c := range []struct {
		name, file, want string
	}{
		{"env, trimmed", "", "from-env"},
		{"file wins over env", write(t, "from-file\n"), "from-file"},
		{"file with CRLF and spaces", write(t, "  from-file \r\n"), "from-file"},
		{"inner white space kept", write(t, "two words\n"), "two words"},
	} {
		got, err := secret.Load(c.file, env)
		if err != nil || got != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

func TestLoadEmpty(t *testing.T) {
	const env = "BEAMLENS_TEST_SECRET"
	const value = "not-empty-value"
	t.Setenv(env, value)
	t.Setenv("BEAMLENS_TEST_BLANK", " \n")
	for _, c := range []struct {
		name, file, env, names string
	}{
		{"unset variable", "", "BEAMLENS_TEST_UNSET_SECRET", "BEAMLENS_TEST_UNSET_SECRET"},
		{"blank variable", "", "BEAMLENS_TEST_BLANK", "BEAMLENS_TEST_BLANK"},
		// The file wins even when it is empty: a named file that holds
		// nothing is a mistake to report, not a reason to look elsewhere.
		{"blank file", write(t, " \r\n"), env, "secret"},
	} {
		_, err := secret.Load(c.file, c.env)
		if !errors.Is(err, secret.ErrEmpty) {
			t.Errorf("%s: got %v, want ErrEmpty", c.name, err)
			continue
		}
		if !strings.Contains(err.Error(), c.names) {
			t.Errorf("%s: %q does not name %s", c.name, err, c.names)
		}
		if strings.Contains(err.Error(), value) {
			t.Errorf("%s: %q shows a value", c.name, err)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Setenv("BEAMLENS_TEST_SECRET", "from-env")
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := secret.Load(missing, "BEAMLENS_TEST_SECRET")
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, secret.ErrEmpty) {
		t.Fatalf("got %v, want a not-exist error that is not ErrEmpty", err)
	}
	if n := strings.Count(err.Error(), missing); n != 1 {
		t.Errorf("%q names the file %d times, want 1", err, n)
	}
}
