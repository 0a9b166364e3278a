package jsonl

import (
	"bufio"
	"bytes"
	"io"
	"testing"
)

// FuzzLineReader splits arbitrary bytes with a tiny buffer and line limit,
// so that long lines, CRLF, NULs and a missing final newline all meet the
// buffer edges: every byte must be accounted for, short lines must come out
// exactly, and long ones must be flagged with their true length.
func FuzzLineReader(f *testing.F) {
	for _, s := range []string{"", "\n", "a\nb", "a\r\n\r\nbb\n", "0123456789abcdefghij\nx", "\x00\xff\n\n\n"} {
		f.Add([]byte(s))
	}
	const limit = 8
	f.Fuzz(func(t *testing.T, data []byte) {
		lr := lineReader{r: bufio.NewReaderSize(bytes.NewReader(data), 16), limit: limit}
		want := bytes.SplitAfter(data, []byte("\n"))
		if len(want) > 0 && len(want[len(want)-1]) == 0 {
			want = want[:len(want)-1]
		}
		var total int64
		for i := 0; ; i++ {
			line, consumed, length, oversize, err := lr.next()
			if err != nil && err != io.EOF {
				t.Fatal(err)
			}
			if consumed == 0 && err == io.EOF {
				if i != len(want) {
					t.Fatalf("%d lines, want %d", i, len(want))
				}
				break
			}
			piece := want[i]
			content := bytes.TrimSuffix(piece, []byte("\n"))
			total += consumed
			if consumed != int64(len(piece)) || length != int64(len(content)) {
				t.Fatalf("line %d: consumed %d length %d, want %d and %d", i, consumed, length, len(piece), len(content))
			}
			if oversize != (len(piece) > limit+2) {
				t.Fatalf("line %d of %d bytes: oversize %v", i, len(piece), oversize)
			}
			if !oversize && !bytes.Equal(line, content) {
				t.Fatalf("line %d = %q, want %q", i, line, content)
			}
			if oversize && !bytes.HasPrefix(content, line) {
				t.Fatalf("oversize line %d keeps %q, not a prefix of %q", i, line, content)
			}
			if err == io.EOF {
				if i != len(want)-1 {
					t.Fatalf("EOF after line %d of %d", i, len(want))
				}
				break
			}
		}
		if total != int64(len(data)) {
			t.Fatalf("consumed %d of %d bytes", total, len(data))
		}
	})
}
