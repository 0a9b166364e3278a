package badinput

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Write writes a corpus as JSON Lines: one case a line, "\n"-terminated.
func Write(path string, cases []Case) error {
	var b bytes.Buffer
	for _, c := range cases {
		if bytes.IndexByte(c.Line, '\n') >= 0 {
			return fmt.Errorf("badinput: case %s holds a newline", c.Name)
		}
		b.Write(c.Line)
		b.WriteByte('\n')
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// Index renders the corpus's table of contents: line number, kind, case
// name and the expected reason, tab-separated, so a reader of the .jsonl file
// knows what each line tests.
func Index(cases []Case) []byte {
	var b bytes.Buffer
	b.WriteString("# line\tkind\tcase\texpected dead-letter reason (contains)\n")
	for i, c := range cases {
		fmt.Fprintf(&b, "%d\t%s\t%s\t%s\n", i+1, c.Kind, c.Name, c.Reason)
	}
	return b.Bytes()
}

// WriteCorpus writes <dir>/<pipeline>.jsonl and <dir>/<pipeline>.cases.tsv
// for every pipeline.
func WriteCorpus(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, p := range Pipelines {
		cases := Cases(p)
		if err := Write(filepath.Join(dir, p+".jsonl"), cases); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, p+".cases.tsv"), Index(cases), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Count returns how many cases of each kind a corpus holds.
func Count(cases []Case) map[Kind]int {
	n := map[Kind]int{}
	for _, c := range cases {
		n[c.Kind]++
	}
	return n
}

// IsGoodID reports whether an id belongs to a good record.
func IsGoodID(id string) bool { return strings.HasPrefix(id, GoodPrefix) }
