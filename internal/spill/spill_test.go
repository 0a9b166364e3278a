package spill

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// TestRoundTrip: values appended over two files (a Close between) read
// back whole and as sections; a cut Ref is an error.
func TestRoundTrip(t *testing.T) {
	w := Writer{Dir: t.TempDir(), Pattern: "test-*.spill"}
	var refs, vals [][]byte
	for i := range 50 {
		v := bytes.Repeat([]byte(fmt.Sprint(i)), i)
		ref, err := w.Append(v)
		if err != nil {
			t.Fatal(err)
		}
		refs, vals = append(refs, ref), append(vals, v)
		if i == 20 {
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var fs Files
	defer fs.Close()
	for i, ref := range refs {
		got, err := fs.Bytes(ref)
		if err != nil || !bytes.Equal(got, vals[i]) {
			t.Fatalf("value %d: %q, %v", i, got, err)
		}
		sr, err := fs.Section(ref)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(sr); !bytes.Equal(got, vals[i]) {
			t.Fatalf("section %d: %q", i, got)
		}
	}
	if len(fs.open) != 2 {
		t.Errorf("%d files, want 2", len(fs.open))
	}
	if _, _, _, err := ParseRef(refs[3][:len(refs[3])-1]); err == nil {
		t.Error("a cut ref parsed")
	}
}
